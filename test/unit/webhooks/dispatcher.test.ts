// The dispatcher's scheduling, with its I/O injected: attempts that finish when the test says so,
// release and defer that record what they were given, and fake timers for the pauses.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { HeldDelivery } from "../../../src/webhooks/delivery/delivery-queue.js";
import { createDispatcher, type DispatcherOptions } from "../../../src/webhooks/delivery/dispatcher.js";
import type { PayloadSource } from "../../../src/webhooks/delivery/payload.js";

const NOW = Date.parse("2026-12-07T12:00:00Z");
beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets the promises the dispatcher chains settle (and runs timers due by then). */
const settle = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

let nextId = 1n;
const labels = new Map<bigint, string>();
/** Row `n` of endpoint `endpointId`, labelled `${endpointId}${n}` (a1, b2 …). */
function row(
  endpointId: string,
  n: number,
  pace: { rateLimitPerSecond?: number | null; throttledUntil?: Date | null } = {},
): HeldDelivery {
  const id = nextId++;
  labels.set(id, `${endpointId}${n}`);
  return {
    id,
    endpointId,
    attemptCount: 0,
    manualRetry: false,
    throttledCount: 0,
    endpoint: {
      url: `http://${endpointId}.test/hook`,
      headers: null,
      secret: "whsec_unused",
      previousSecret: null,
      previousSecretExpiresAt: null,
      rateLimitPerSecond: pace.rateLimitPerSecond ?? null,
      throttledUntil: pace.throttledUntil ?? null,
      ordering: "none",
    },
    // The dispatcher never reads the notification: the attempt it calls does.
    notification: {} as PayloadSource,
    heldUntil: new Date(NOW + 60_000),
    localDeadline: NOW + 60_000,
  };
}
const rows = (endpointId: string, count: number) =>
  Array.from({ length: count }, (_, i) => row(endpointId, i + 1));
const named = (list: HeldDelivery[]) => list.map((r) => labels.get(r.id));

function dispatcher(options: Partial<DispatcherOptions> = {}) {
  const started: HeldDelivery[] = [];
  const finishers = new Map<bigint, { done: () => void; fail: (err: Error) => void }>();
  const released: HeldDelivery[] = [];
  const deferred: Array<{ rows: string[]; until: number }> = [];
  const logs: Array<{ level: number; msg: string; deliveryId?: string }> = [];
  const d = createDispatcher({
    concurrency: 4,
    endpointConcurrency: 2,
    queueLimit: 100,
    attempt: (r) => {
      started.push(r);
      return new Promise<void>((done, fail) => finishers.set(r.id, { done, fail }));
    },
    release: async (given) => {
      released.push(...given);
    },
    defer: async (given, until) => {
      deferred.push({ rows: named(given) as string[], until: until.getTime() });
    },
    log: pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) }),
    ...options,
  });
  const byLabel = (label: string) => started.find((r) => labels.get(r.id) === label)!;
  return {
    d,
    started: () => named(started),
    released: () => named(released),
    deferred,
    logs,
    finish: async (label: string) => {
      finishers.get(byLabel(label).id)!.done();
      await settle();
    },
    fail: async (label: string, err: Error) => {
      finishers.get(byLabel(label).id)!.fail(err);
      await settle();
    },
  };
}

describe("the dispatcher", () => {
  it("attempts at most `concurrency` rows at once and `endpointConcurrency` per endpoint: a slow endpoint holds only its own slots", async () => {
    const t = dispatcher({ concurrency: 4, endpointConcurrency: 2 });
    t.d.submit([...rows("a", 5), ...rows("b", 2)]);
    await settle();
    expect(t.started()).toEqual(["a1", "b1", "a2", "b2"]);
    expect(t.d.counts()).toEqual({ inFlight: 4, waiting: 3 });

    await t.finish("b1"); // a free slot, but a already has its two in flight
    expect(t.started()).toHaveLength(4);
    t.d.submit([row("c", 1)]);
    await settle();
    expect(t.started().at(-1)).toBe("c1");
    await t.finish("a1");
    expect(t.started().at(-1)).toBe("a3");
  });

  it("takes the endpoints with waiting rows in turn", async () => {
    const t = dispatcher({ concurrency: 1, endpointConcurrency: 1 });
    t.d.submit([...rows("a", 3), ...rows("b", 2)]);
    await settle();
    for (const label of ["a1", "b1", "a2", "b2", "a3"]) {
      expect(t.started().at(-1)).toBe(label);
      await t.finish(label);
    }
    expect(t.d.counts()).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("keeps at most queueLimit rows waiting and gives the others back at once", async () => {
    const t = dispatcher({ concurrency: 1, queueLimit: 2 });
    t.d.submit(rows("a", 5));
    await settle();
    expect(t.released()).toEqual(["a3", "a4", "a5"]);
    expect(t.started()).toEqual(["a1"]);
    expect(t.d.counts()).toEqual({ inFlight: 1, waiting: 1 });
  });

  it("attempts no more rows of an endpoint at once than its rate limit per second", async () => {
    const t = dispatcher({ concurrency: 8, endpointConcurrency: 8 });
    t.d.submit([row("a", 1, { rateLimitPerSecond: 1 }), row("a", 2, { rateLimitPerSecond: 1 })]);
    await settle();
    expect(t.started()).toEqual(["a1"]);
    await t.finish("a1");
    expect(t.started()).toEqual(["a1", "a2"]);
  });

  it("puts a row the rate limit's gate turns away back first in line, and pauses only its endpoint", async () => {
    let turnedAway = false;
    const gate = (r: HeldDelivery) => {
      if (r.endpointId !== "a" || turnedAway) return 0;
      turnedAway = true;
      return 500;
    };
    const t = dispatcher({ concurrency: 2, endpointConcurrency: 1, gate });
    t.d.submit([...rows("a", 2), row("b", 1)]);
    await settle();
    expect(t.started()).toEqual(["b1"]); // a1 went to the gate and back
    expect(t.d.counts()).toEqual({ inFlight: 1, waiting: 2 });
    await settle(499);
    expect(t.started()).toEqual(["b1"]);
    await settle(1);
    expect(t.started()).toEqual(["b1", "a1"]);
  });

  it("gives an endpoint's waiting rows back due when a long 429 pause ends, and holds them through a short one", async () => {
    const t = dispatcher({ concurrency: 2, endpointConcurrency: 1 });
    t.d.submit([...rows("a", 3), ...rows("b", 2)]);
    await settle();
    expect(t.started()).toEqual(["a1", "b1"]);

    t.d.throttle("a", NOW + 60_000);
    expect(t.deferred).toEqual([{ rows: ["a2", "a3"], until: NOW + 60_000 }]);
    await t.finish("a1");
    expect(t.started()).toEqual(["a1", "b1"]);

    t.d.throttle("b", NOW + 1000);
    await t.finish("b1");
    expect(t.started()).toEqual(["a1", "b1"]);
    expect(t.d.counts()).toEqual({ inFlight: 0, waiting: 1 });
    await settle(1000);
    expect(t.started()).toEqual(["a1", "b1", "b2"]);
  });

  it("sends back to Postgres a row whose endpoint another process saw throttled for long, and holds it for a short pause", async () => {
    const t = dispatcher();
    t.d.submit([
      row("a", 1, { throttledUntil: new Date(NOW + 10_000) }),
      row("b", 1, { throttledUntil: new Date(NOW + 1000) }),
    ]);
    await settle();
    expect(t.deferred).toEqual([{ rows: ["a1"], until: NOW + 10_000 }]);
    expect(t.started()).toEqual([]);
    await settle(1000);
    expect(t.started()).toEqual(["b1"]);
  });

  it("offers room for two rounds of slots, in all and per endpoint", async () => {
    const t = dispatcher({ concurrency: 2, endpointConcurrency: 1, queueLimit: 100 });
    t.d.submit(rows("a", 3));
    await settle();
    const room = t.d.capacity();
    expect(room.total).toBe(2 * 2 - 1 - 2); // two rounds, less one in flight and two waiting
    expect(room.perEndpoint.get("a")).toBe(0);
    expect(room.perEndpointDefault).toBe(2);
    expect(dispatcher({ concurrency: 50, queueLimit: 10 }).d.capacity().total).toBe(10);
  });

  it("says when the rows here drop below one round of slots", async () => {
    const t = dispatcher({ concurrency: 2 });
    let low = 0;
    t.d.onLow(() => low++);
    t.d.submit([row("a", 1), row("b", 1), row("c", 1)]);
    await settle();
    await t.finish("a1"); // c1 takes the slot: still a round
    expect(low).toBe(0);
    await t.finish("b1");
    expect(low).toBe(1);
  });

  it("logs an attempt that fails unexpectedly and goes on with the next row", async () => {
    const t = dispatcher({ concurrency: 1 });
    t.d.submit(rows("a", 2));
    await settle();
    await t.fail("a1", new Error("boom"));
    expect(t.logs).toMatchObject([
      { msg: "delivery attempt failed unexpectedly", deliveryId: expect.any(String) },
    ]);
    expect(t.started()).toEqual(["a1", "a2"]);
  });

  it("stops by giving the waiting rows back and waiting for the attempts in flight; rows after that go back at once", async () => {
    const t = dispatcher({ concurrency: 1 });
    t.d.submit(rows("a", 2));
    await settle();
    let stopped = false;
    const stopping = t.d.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(t.released()).toEqual(["a2"]);
    expect(stopped).toBe(false);
    await t.finish("a1");
    await stopping;
    expect(stopped).toBe(true);

    t.d.submit([row("a", 3)]);
    await settle();
    expect(t.released()).toEqual(["a2", "a3"]);
    expect(t.started()).toEqual(["a1"]);
  });
});
