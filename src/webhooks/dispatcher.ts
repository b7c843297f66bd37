// This process's share of the delivery queue: the rows it holds wait here, one FIFO per endpoint, and
// are attempted with at most `concurrency` in flight and `endpointConcurrency` per endpoint, endpoints
// taken in turn, so a slow endpoint holds its own slots and never the others'. Hand-written: what it
// schedules are Postgres holds (see store.ts), which no queue library knows about.
import type { Logger } from "pino";
import { errorMessage } from "../util.js";
import type { HeldDelivery } from "./store.js";

export interface DispatcherOptions {
  concurrency: number;
  endpointConcurrency: number;
  /** Most rows waiting in memory; more are given back to Postgres, due at once, for a later claim. */
  queueLimit: number;
  attempt: (row: HeldDelivery) => Promise<unknown>;
  release: (rows: HeldDelivery[]) => Promise<void>;
  log: Logger;
}

export interface Capacity {
  /** Rows a claim may add in all. */
  total: number;
  /** Per endpoint with rows here: how many more it may add (others: `perEndpointDefault`). */
  perEndpoint: Map<string, number>;
  perEndpointDefault: number;
}

export interface Dispatcher {
  submit(rows: HeldDelivery[]): void;
  /** Room for claimed rows: two rounds of slots, so a claim tops the queue up before it runs dry. */
  capacity(): Capacity;
  /** Called whenever the rows here drop below one round of slots. */
  onLow(listener: () => void): void;
  counts(): { inFlight: number; waiting: number };
  /** Gives the waiting rows back and waits for the attempts in flight. */
  stop(): Promise<void>;
}

interface Endpoint {
  waiting: HeldDelivery[];
  /** Index of the first waiting row (shifting a long array on every take costs O(n)). */
  head: number;
  inFlight: number;
}

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const endpoints = new Map<string, Endpoint>();
  /** Endpoints with waiting rows, taken in turn from `turn`. */
  const ready: string[] = [];
  let turn = 0;
  let inFlight = 0;
  let waiting = 0;
  let stopping = false;
  const lowListeners: Array<() => void> = [];
  let idle: (() => void) | undefined;

  const endpointOf = (id: string) => {
    let e = endpoints.get(id);
    if (!e) {
      e = { waiting: [], head: 0, inFlight: 0 };
      endpoints.set(id, e);
    }
    return e;
  };
  const waitingOf = (e: Endpoint) => e.waiting.length - e.head;

  const release = (rows: HeldDelivery[]) => {
    if (rows.length === 0) return Promise.resolve();
    return opts
      .release(rows)
      .catch((err: unknown) =>
        opts.log.warn(
          { err: errorMessage(err), rows: rows.length },
          "rows not given back; claimed when their hold ends",
        ),
      );
  };

  const take = (): HeldDelivery | undefined => {
    for (let i = 0; i < ready.length; i++) {
      const at = (turn + i) % ready.length;
      const id = ready[at]!;
      const e = endpoints.get(id)!;
      if (e.inFlight >= opts.endpointConcurrency) continue;
      const row = e.waiting[e.head++]!;
      waiting--;
      if (waitingOf(e) === 0) {
        e.waiting = [];
        e.head = 0;
        ready.splice(at, 1);
        turn = ready.length === 0 ? 0 : at % ready.length;
      } else {
        if (e.head > 1024 && e.head * 2 > e.waiting.length) {
          e.waiting = e.waiting.slice(e.head);
          e.head = 0;
        }
        turn = (at + 1) % ready.length;
      }
      return row;
    }
    return undefined;
  };

  const pump = () => {
    while (inFlight < opts.concurrency && !stopping) {
      const row = take();
      if (!row) break;
      start(row);
    }
  };

  const start = (row: HeldDelivery) => {
    const e = endpointOf(row.endpointId);
    inFlight++;
    e.inFlight++;
    opts
      .attempt(row)
      .catch((err: unknown) =>
        opts.log.error({ err, deliveryId: String(row.id) }, "delivery attempt failed unexpectedly"),
      )
      .finally(() => {
        inFlight--;
        e.inFlight--;
        if (e.inFlight === 0 && waitingOf(e) === 0) endpoints.delete(row.endpointId);
        pump();
        if (inFlight + waiting < opts.concurrency) for (const l of lowListeners) l();
        if (inFlight === 0) idle?.();
      });
  };

  return {
    submit(rows) {
      const over: HeldDelivery[] = [];
      for (const row of rows) {
        if (stopping || waiting >= opts.queueLimit) {
          over.push(row);
          continue;
        }
        const e = endpointOf(row.endpointId);
        if (waitingOf(e) === 0) ready.push(row.endpointId);
        e.waiting.push(row);
        waiting++;
      }
      void release(over);
      pump();
    },
    capacity() {
      const perEndpoint = new Map<string, number>();
      const perEndpointDefault = 2 * opts.endpointConcurrency;
      for (const [id, e] of endpoints)
        perEndpoint.set(id, Math.max(0, perEndpointDefault - e.inFlight - waitingOf(e)));
      const total = Math.max(0, Math.min(2 * opts.concurrency - inFlight, opts.queueLimit) - waiting);
      return { total, perEndpoint, perEndpointDefault };
    },
    onLow(listener) {
      lowListeners.push(listener);
    },
    counts: () => ({ inFlight, waiting }),
    async stop() {
      stopping = true;
      const rows: HeldDelivery[] = [];
      for (const e of endpoints.values()) rows.push(...e.waiting.slice(e.head));
      endpoints.forEach((e) => {
        e.waiting = [];
        e.head = 0;
      });
      ready.length = 0;
      waiting = 0;
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r));
      await Promise.all([release(rows), drained]);
    },
  };
}
