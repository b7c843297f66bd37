// This process's share of the delivery queue: the rows it holds wait here, one FIFO per endpoint, and
// are attempted with at most `concurrency` in flight and `endpointConcurrency` per endpoint, endpoints
// taken in turn, so a slow endpoint holds its own slots and never the others'. Hand-written: what it
// schedules are Postgres holds (see delivery-queue.ts), which no queue library knows about.
// An endpoint can be paused: its rate limit's `gate` said "not yet", or a 429 throttled it. A paused
// endpoint's rows wait here (a long pause gives them back to Postgres, due when it ends) and only its
// own slots are idle; one timer wakes the dispatcher at the earliest end of a pause.
import type { Logger } from "pino";
import { throttledLog } from "../../ops/log-throttle.js";
import type { HeldDelivery } from "./delivery-queue.js";

export interface DispatcherOptions {
  concurrency: number;
  endpointConcurrency: number;
  /** Most rows waiting in memory; more are given back to Postgres, due at once, for a later claim. */
  queueLimit: number;
  attempt: (row: HeldDelivery) => Promise<unknown>;
  release: (rows: HeldDelivery[]) => Promise<void>;
  /** The endpoint's rate limit: 0 to send the row now, or milliseconds to wait (absent: no limits). */
  gate?: (row: HeldDelivery) => number | Promise<number>;
  /** Gives rows back due at `until`, without an attempt (their endpoint is throttled). */
  defer: (rows: HeldDelivery[], until: Date) => Promise<void>;
  log: Logger;
}

/** A pause longer than this gives the endpoint's waiting rows back to Postgres rather than holding them. */
const DEFER_AFTER_MS = 2000;

interface Capacity {
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
  /** No attempt to this endpoint before `until` (ms since epoch): a 429 asked for it. */
  throttle(endpointId: string, until: number): void;
  /** Gives the waiting rows back and waits for the attempts in flight. */
  stop(): Promise<void>;
}

interface Endpoint {
  waiting: HeldDelivery[];
  /** Index of the first waiting row (shifting a long array on every take costs O(n)). */
  head: number;
  inFlight: number;
  /** The endpoint's rate limit as its last row carried it: at most this many attempts at once. */
  rateLimit: number | null;
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
  // Postgres down fails every give-back the same way: one line, then a count a minute.
  const failures = throttledLog(opts.log);
  let idle: (() => void) | undefined;
  /** Per endpoint, paused until then (ms since epoch). Kept apart from `endpoints`, which forgets idle ones. */
  const notBefore = new Map<string, number>();
  let wake: NodeJS.Timeout | undefined;
  let wakeAt = Number.POSITIVE_INFINITY;

  const endpointOf = (id: string) => {
    let e = endpoints.get(id);
    if (!e) {
      e = { waiting: [], head: 0, inFlight: 0, rateLimit: null };
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
        failures.warn({ err, rows: rows.length }, "rows not given back; claimed when their hold ends"),
      );
  };

  const defer = (rows: HeldDelivery[], until: number) => {
    if (rows.length === 0) return;
    void opts
      .defer(rows, new Date(until))
      .catch((err: unknown) =>
        failures.warn(
          { err, rows: rows.length },
          "throttled rows not given back; claimed when their hold ends",
        ),
      );
  };

  const wakeUpAt = (at: number) => {
    if (at >= wakeAt || stopping) return;
    clearTimeout(wake);
    wakeAt = at;
    wake = setTimeout(
      () => {
        wakeAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, at - Date.now()),
    );
  };

  const pausedUntil = (id: string, now: number): number | undefined => {
    const until = notBefore.get(id);
    if (until === undefined) return undefined;
    if (until > now) return until;
    notBefore.delete(id);
    return undefined;
  };

  const pause = (id: string, until: number) => {
    if (until <= (notBefore.get(id) ?? 0)) return;
    notBefore.set(id, until);
    wakeUpAt(until);
  };

  /** A row the gate turned away goes back to the head of its endpoint's queue. */
  const putBack = (row: HeldDelivery) => {
    const e = endpointOf(row.endpointId);
    if (waitingOf(e) === 0) ready.push(row.endpointId);
    if (e.head > 0) e.waiting[--e.head] = row;
    else e.waiting.unshift(row);
    waiting++;
  };

  /** Takes the endpoint's waiting rows out of this process's queue. */
  const takeAll = (id: string): HeldDelivery[] => {
    const e = endpoints.get(id);
    if (!e || waitingOf(e) === 0) return [];
    const rows = e.waiting.slice(e.head);
    waiting -= rows.length;
    e.waiting = [];
    e.head = 0;
    const at = ready.indexOf(id);
    ready.splice(at, 1);
    if (turn > at) turn--;
    if (turn >= ready.length) turn = 0;
    return rows;
  };

  const take = (): HeldDelivery | undefined => {
    const now = Date.now();
    for (let i = 0; i < ready.length; i++) {
      const at = (turn + i) % ready.length;
      const id = ready[at]!;
      const e = endpoints.get(id)!;
      const slots = Math.min(opts.endpointConcurrency, e.rateLimit ?? Number.POSITIVE_INFINITY);
      if (e.inFlight >= slots) continue;
      const paused = pausedUntil(id, now);
      if (paused !== undefined) {
        wakeUpAt(paused);
        continue;
      }
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

  /** The attempt, unless the endpoint's rate limit says to wait: then the row goes back to its queue. */
  const gated = async (row: HeldDelivery) => {
    const wait = opts.gate ? await opts.gate(row) : 0;
    if (wait <= 0) return opts.attempt(row);
    if (stopping) return release([row]);
    pause(row.endpointId, Date.now() + wait);
    putBack(row);
  };

  const start = (row: HeldDelivery) => {
    const e = endpointOf(row.endpointId);
    inFlight++;
    e.inFlight++;
    gated(row)
      .catch((err: unknown) =>
        failures.error({ err, deliveryId: String(row.id) }, "delivery attempt failed unexpectedly"),
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
      const throttled = new Map<number, HeldDelivery[]>();
      const now = Date.now();
      for (const row of rows) {
        if (stopping || waiting >= opts.queueLimit) {
          over.push(row);
          continue;
        }
        // Another process saw the 429: a long wait goes back to Postgres, a short one waits here.
        const until = row.endpoint.throttledUntil?.getTime() ?? 0;
        if (until - now > DEFER_AFTER_MS) {
          throttled.set(until, [...(throttled.get(until) ?? []), row]);
          continue;
        }
        if (until > now) pause(row.endpointId, until);
        const e = endpointOf(row.endpointId);
        e.rateLimit = row.endpoint.rateLimitPerSecond;
        if (waitingOf(e) === 0) ready.push(row.endpointId);
        e.waiting.push(row);
        waiting++;
      }
      void release(over);
      for (const [until, held] of throttled) defer(held, until);
      pump();
    },
    throttle(endpointId, until) {
      pause(endpointId, until);
      if (until - Date.now() > DEFER_AFTER_MS) defer(takeAll(endpointId), until);
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
      clearTimeout(wake);
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
      failures.stop();
    },
  };
}
