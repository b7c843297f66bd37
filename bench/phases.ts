// The bench's phases. Each service phase starts from empty tables and queues and a fresh service
// process (`node dist/main.js all`, as `npm start` runs it), so no phase inherits another's backlog.

import { type CpuSeconds, perMessage, startCpuMeter } from "./cpu.js";
import { burst, type LoadResult, steady, throughput } from "./load.js";
import { BENCH_ENCRYPTION_KEY, BENCH_SIGN_TOKEN } from "./messages.js";
import {
  type Child,
  freePort,
  nextMessage,
  sampleRss,
  startHelper,
  startService,
  waitForHttp,
  withDeadline,
} from "./processes.js";
import type { Figure } from "./report.js";
import type { Resources } from "./resources.js";

export interface Settings {
  short: boolean;
  durationS: number;
  rate: number;
  burstSize: number;
  forwardDeadlineMs: number;
  nodeArgs: string[];
  /** `all` as `npm start` runs it; `api` measures the receiver without workers beside it. */
  role: string;
}

export interface PhaseContext {
  s: Settings;
  resources: Resources;
  receiver: { child: Child; url: string };
  figures: Figure[];
  failures: string[];
}

export const ADMIN_TOKEN = "bench-admin-token";
const NOTIFY_PATH = "/payzero/notify";

export function command(ctx: PhaseContext, phase: string): string {
  const role = ctx.s.role === "all" ? "" : ` --role ${ctx.s.role}`;
  return `npm run bench -- --phase ${phase}${role}${ctx.s.short ? " --short" : ""}`;
}

export interface Service {
  child: Child;
  url: string;
}

/** The service on empty tables and queues; `keep` starts it on what the database already holds. */
export async function freshService(
  ctx: PhaseContext,
  keep = false,
  extraEnv: Record<string, string> = {},
): Promise<Service> {
  if (!keep) await ctx.resources.reset();
  const port = await freePort();
  const env = {
    PAYZERO_SIGN_TOKEN: BENCH_SIGN_TOKEN,
    ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEY,
    DATABASE_URL: ctx.resources.databaseUrl,
    REDIS_URL: ctx.resources.redisUrl,
    REDIS_PREFIX: ctx.resources.redisPrefix,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    ADMIN_TOKEN,
    // The bench's webhook receiver is on this machine, which the address rule refuses by default.
    WEBHOOK_ALLOW_ADDRESSES: "127.0.0.1",
    ...extraEnv,
  };
  const child = startService(env, ctx.s.nodeArgs, ctx.s.role);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, 60_000, child);
  await ensureEndpoint(base, ctx.receiver.url);
  return { child, url: `${base}${NOTIFY_PATH}` };
}

/** One webhook endpoint for every msgType, pointing at the receiver (kept across phases). */
async function ensureEndpoint(base: string, url: string): Promise<void> {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  const list = (await (await fetch(`${base}/v1/webhooks`, { headers })).json()) as { items: unknown[] };
  if (list.items.length > 0) return;
  const body = JSON.stringify({ url, description: "bench receiver" });
  const response = await fetch(`${base}/v1/webhooks`, { method: "POST", headers, body });
  if (response.status !== 201)
    throw new Error(`POST /v1/webhooks: ${response.status} ${await response.text()}`);
}

function checkAnswers(ctx: PhaseContext, what: string, r: LoadResult, service: Service): void {
  if (r.notOk === 0) return;
  ctx.failures.push(`${what}: ${r.notOk} of ${r.ok + r.notOk} requests not answered 2xx`);
  console.error(`service output (last lines):\n${service.child.output().split("\n").slice(-20).join("\n")}`);
}

export async function runIngest(ctx: PhaseContext): Promise<void> {
  const d = ctx.s.durationS;
  console.log(`ingest: bare Fastify route, ${d} s …`);
  const barePort = await freePort();
  const bare = await startHelper("./bare-server.ts", barePort);
  const baseline = await throughput(`http://127.0.0.1:${barePort}${NOTIFY_PATH}`, "bare", d);
  await bare.stop();
  console.log(`ingest: POST ${NOTIFY_PATH}, ${d} s …`);
  const service = await freshService(ctx);
  const ingest = await throughput(service.url, "ingest", d);
  await service.child.stop();
  checkAnswers(ctx, "ingest", ingest, service);
  const cmd = command(ctx, "ingest");
  const how = `10 connections, ${d} s`;
  ctx.figures.push(
    { figure: `1. bare Fastify "OK" route, req/s (${how})`, value: baseline.rps.toFixed(0), command: cmd },
    { figure: `1. POST ${NOTIFY_PATH}, req/s (${how})`, value: ingest.rps.toFixed(0), command: cmd },
    {
      figure: "1. ingest / bare",
      value: `${((100 * ingest.rps) / baseline.rps).toFixed(0)} %`,
      command: cmd,
    },
  );
}

export async function runLatency(ctx: PhaseContext): Promise<void> {
  const { rate, durationS } = ctx.s;
  console.log(`latency: ${rate} req/s for ${durationS} s …`);
  const service = await freshService(ctx);
  const r = await steady(service.url, "latency", rate, durationS);
  await service.child.stop();
  checkAnswers(ctx, "latency", r, service);
  const cmd = command(ctx, "latency");
  ctx.figures.push(
    { figure: `2. ingest latency p50 at ${rate} req/s (${durationS} s)`, value: `${r.p50} ms`, command: cmd },
    { figure: `2. ingest latency p99 at ${rate} req/s (${durationS} s)`, value: `${r.p99} ms`, command: cmd },
  );
}

interface Stats {
  type: "stats";
  distinct: number;
  total: number;
}

export interface BurstResult {
  /** Until every message was answered OK. */
  acceptedS: number;
  /** Until every message was forwarded; null when some never were (a failure is recorded). */
  forwardedS: number | null;
  /** Distinct messages the receiver got (all of them unless forwardedS is null). */
  forwarded: number;
  peakRssBytes: number;
  /** CPU of the service, Postgres and Redis from the first request until the last forward. */
  cpu: CpuSeconds;
}

/** `n` messages of a run (`run` names their orders) sent at once, measured until all are forwarded. */
export async function burstUntilForwarded(
  ctx: PhaseContext,
  service: Service,
  n: number,
  run: string,
): Promise<BurstResult> {
  const receiver = ctx.receiver.child.child;
  receiver.send({ type: "reset" });
  const rss = sampleRss(service.child.child.pid ?? 0);
  const cpu = await startCpuMeter({
    servicePid: service.child.child.pid ?? 0,
    pgAdminUrl: ctx.resources.pgAdminUrl,
    database: ctx.resources.database,
    redisUrl: ctx.resources.redisUrl,
  });
  const started = Date.now();
  const reached = nextMessage<{ type: string; at: number }>(receiver, "reached");
  receiver.send({ type: "expect", n });
  const sent = await burst(service.url, run, n);
  const acceptedS = (Date.now() - started) / 1000;
  checkAnswers(ctx, run, sent, service);
  // Refused messages are not forwarded: wait for the accepted ones only (the run has failed anyway).
  if (sent.ok < n) receiver.send({ type: "expect", n: sent.ok });
  const at = await withDeadline(reached, ctx.s.forwardDeadlineMs, `not every message was forwarded`).then(
    (m) => m.at,
    (err: Error) => {
      ctx.failures.push(`${run}: ${err.message}`);
      return null;
    },
  );
  const spent = await cpu.stop();
  const peakRssBytes = rss.stop();
  const stats = await statsOf(receiver);
  if (stats.total > stats.distinct)
    ctx.failures.push(`${run}: ${stats.total - stats.distinct} messages forwarded twice`);
  const forwardedS = at === null ? null : (at - started) / 1000;
  return { acceptedS, forwardedS, forwarded: stats.distinct, peakRssBytes, cpu: spent };
}

export async function runBurst(ctx: PhaseContext): Promise<void> {
  const n = ctx.s.burstSize;
  console.log(`burst: ${n} messages until all are forwarded …`);
  const service = await freshService(ctx);
  const r = await burstUntilForwarded(ctx, service, n, "burst");
  await service.child.stop();
  const cmd = command(ctx, "burst");
  ctx.figures.push(
    {
      figure: `3. burst of ${n}: all answered OK (32 connections)`,
      value: `${r.acceptedS.toFixed(2)} s`,
      command: cmd,
    },
    {
      figure: `3. burst of ${n}: all forwarded, end to end`,
      value: r.forwardedS === null ? "not all" : `${r.forwardedS.toFixed(2)} s`,
      command: cmd,
    },
    {
      figure: `3. burst of ${n}: messages/s end to end`,
      value: r.forwardedS === null ? "-" : (n / r.forwardedS).toFixed(0),
      command: cmd,
    },
    {
      figure: `3. burst of ${n}: CPU per forwarded message`,
      value: perMessage(r.cpu, r.forwarded, n),
      command: cmd,
    },
    {
      figure: "4. peak RSS of the service during the burst",
      value: `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB`,
      command: cmd,
    },
  );
}

async function statsOf(receiver: Child["child"]): Promise<Stats> {
  const answer = nextMessage<Stats>(receiver, "stats");
  receiver.send({ type: "stats" });
  return withDeadline(answer, 5000, "the receiver did not answer");
}
