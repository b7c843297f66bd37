// The three loads, each with autocannon on loopback, every request a distinct signed message.
import autocannon from "autocannon";
import { messageSource } from "./messages.js";

export interface LoadResult {
  /** Average requests per second answered 2xx. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  notOk: number;
  seconds: number;
}

interface LoadOptions {
  url: string;
  /** Prefix of the mchtOrderNos, unique to this load. */
  run: string;
  connections: number;
  durationS?: number;
  amount?: number;
  overallRate?: number;
}

async function load(opts: LoadOptions): Promise<LoadResult> {
  const source = messageSource(opts.run);
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.durationS ?? 5 }),
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    timeout: 10,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        setupRequest: (request) => ({ ...request, body: source.next() }),
      },
    ],
  });
  return {
    rps: result["2xx"] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    notOk: result.non2xx + result.errors + result.timeouts,
    seconds: result.duration,
  };
}

/** As many requests as the server answers, from `connections` clients, after a short warm-up. */
export async function throughput(url: string, run: string, durationS: number): Promise<LoadResult> {
  await load({ url, run: `${run}-warm`, connections: 10, durationS: 1 });
  return load({ url, run, connections: 10, durationS });
}

/** A steady `rate` requests/s, the way Payzero's notifications arrive outside a batch. */
export async function steady(url: string, run: string, rate: number, durationS: number): Promise<LoadResult> {
  await load({ url, run: `${run}-warm`, connections: 10, durationS: 1, overallRate: rate });
  return load({ url, run, connections: 10, durationS, overallRate: rate });
}

/** `amount` messages as fast as they are taken: a Payzero batch. */
export function burst(url: string, run: string, amount: number): Promise<LoadResult> {
  return load({ url, run, connections: 32, amount });
}
