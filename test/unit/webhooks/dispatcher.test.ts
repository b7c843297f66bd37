// The dispatcher on its own: attempts are promises this test settles by hand, so what runs when is
// decided here, not by a clock. Per-endpoint FIFO, the total and per-endpoint bounds, the queue limit
// giving rows back, a paused endpoint idling only its own slots, and stop giving the rest back.
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { HeldDelivery } from "../../../src/webhooks/delivery/delivery-queue.js";
import { createDispatcher, type DispatcherOptions } from "../../../src/webhooks/delivery/dispatcher.js";

let nextId = 1n;

function row(endpointId: string, pace: { rateLimitPerSecond?: number; throttledUntil?: Date } = {}) {
  return {
    id: nextId++,
    endpointId,
    attemptCount: 0,
    manualRetry: false,
    throttledCount: 0,
    endpoint: {
      url: `http://127.0.0.1:9/${endpointId}`,
      headers: null,
      secret: "sealed",
      previousSecret: null,
      previousSecretExpiresAt: null,
      rateLimitPerSecond: pace.rateLimitPerSecond ?? null,
      throttledUntil: pace.throttledUntil ?? null,
    },
    notification: {} as HeldDelivery["notification"],
    heldUntil: new Date(),
    localDeadline: 0,
  } as HeldDelivery;
}

const rows = (endpointId: string, n: number) => Array.from({ length: n }, () => row(endpointId));

/** A dispatcher whose attempts wait until the test finishes them, recording what ran and what came back. */
function harness(opts: Partial<DispatcherOptions> = {}) {
  const running = new Map<bigint, () => void>();
  const started: HeldDelivery[] = [];
  const released: HeldDelivery[] = [];
  const deferred: Array<{ rows: HeldDelivery[]; until: Date }> = [];
  const most = { total: 0, perEndpoint: new Map<string, number>() };
  const inFlight = () => [...running.keys()].map((id) => started.find((r) => r.id === id)!);
  const dispatcher = createDispatcher({
    concurrency: 3,
    endpointConcurrency: 2,
    queueLimit: 1000,
    log: pino({ level: "silent" }),
    attempt: (r) =>
      new Promise<void>((resolve) => {
        started.push(r);
        running.set(r.id, resolve);
        const now = inFlight();
        most.total = Math.max(most.total, now.length);
        const mine = now.filter((x) => x.endpointId === r.endpointId).length;
        most.perEndpoint.set(r.endpointId, Math.max(most.perEndpoint.get(r.endpointId) ?? 0, mine));
      }),
    release: async (given) => {
      released.push(...given);
    },
    defer: async (given, until) => {
      deferred.push({ rows: given, until });
    },
    ...opts,
  });
  /** Lets the dispatcher's promise chains run (an attempt's end starts the next). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    dispatcher,
    started,
    released,
    deferred,
    most,
    inFlight,
    /** Finishes the attempt of this row (or the oldest one running) and lets the next start. */
    async finish(r?: HeldDelivery) {
      const id = r?.id ?? running.keys().next().value!;
      const done = running.get(id)!;
      running.delete(id);
      done();
      await settle();
    },
    /** Finishes attempts until none runs. */
    async finishAll() {
      while (running.size > 0) await this.finish();
    },
    settle,
  };
}

describe("the dispatcher", () => {
  it("attempts each endpoint's rows in the order they came, one after another at one slot per endpoint", async () => {
    const h = harness({ concurrency: 4, endpointConcurrency: 1 });
    const a = rows("a", 5);
    const b = rows("b", 3);
    h.dispatcher.submit([a[0]!, b[0]!, a[1]!, a[2]!, b[1]!, a[3]!, b[2]!, a[4]!]);
    await h.finishAll();
    const order = (id: string) => h.started.filter((r) => r.endpointId === id).map((r) => r.id);
    expect(order("a")).toEqual(a.map((r) => r.id));
    expect(order("b")).toEqual(b.map((r) => r.id));
    expect(h.most.perEndpoint.get("a")).toBe(1);
    expect(h.released).toEqual([]);
  });

  it("keeps at most `concurrency` attempts in flight, at most `endpointConcurrency` per endpoint, and sends every row once", async () => {
    const h = harness({ concurrency: 3, endpointConcurrency: 2 });
    const all = [...rows("a", 6), ...rows("b", 6), ...rows("c", 6)];
    h.dispatcher.submit(all);
    expect(h.inFlight()).toHaveLength(3);
    expect(h.dispatcher.counts()).toEqual({ inFlight: 3, waiting: 15 });
    await h.finishAll();
    expect(h.most.total).toBe(3);
    for (const id of ["a", "b", "c"]) expect(h.most.perEndpoint.get(id)).toBeLessThanOrEqual(2);
    expect(h.started.map((r) => r.id).sort()).toEqual(all.map((r) => r.id).sort());
    expect(h.dispatcher.counts()).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("lets a slow endpoint hold only its own slots: the others' rows all go through meanwhile", async () => {
    const h = harness({ concurrency: 3, endpointConcurrency: 2 });
    const slow = rows("slow", 4);
    const fast = rows("fast", 5);
    h.dispatcher.submit([...slow, ...fast]);
    // The slow endpoint's attempts never end here; the fast one's end as soon as they start.
    for (let i = 0; i < fast.length; i++) await h.finish(h.inFlight().find((r) => r.endpointId === "fast"));
    expect(h.started.filter((r) => r.endpointId === "fast")).toHaveLength(5);
    expect(h.inFlight().map((r) => r.endpointId)).toEqual(["slow", "slow"]);
    expect(h.dispatcher.counts()).toEqual({ inFlight: 2, waiting: 2 });
    await h.finishAll();
  });

  it("gives rows past the queue limit back to Postgres at once, and keeps the others in order", async () => {
    const h = harness({ concurrency: 1, endpointConcurrency: 1, queueLimit: 4 });
    const given = rows("a", 10);
    h.dispatcher.submit(given);
    await h.settle();
    expect(h.released.map((r) => r.id)).toEqual(given.slice(4).map((r) => r.id));
    expect(h.dispatcher.counts()).toEqual({ inFlight: 1, waiting: 3 });
    await h.finishAll();
    expect(h.started.map((r) => r.id)).toEqual(given.slice(0, 4).map((r) => r.id));
  });

  it("offers room for two rounds of slots, less what it holds, per endpoint and in all", async () => {
    const h = harness({ concurrency: 3, endpointConcurrency: 2, queueLimit: 1000 });
    expect(h.dispatcher.capacity()).toMatchObject({ total: 6, perEndpointDefault: 4 });
    h.dispatcher.submit(rows("a", 3));
    const room = h.dispatcher.capacity();
    expect(room.total).toBe(6 - 2 - 1);
    expect(room.perEndpoint.get("a")).toBe(4 - 3);
    await h.finishAll();
  });

  it("sends no more at once than an endpoint's rate limit per second", async () => {
    const h = harness({ concurrency: 5, endpointConcurrency: 4 });
    h.dispatcher.submit([...Array.from({ length: 4 }, () => row("limited", { rateLimitPerSecond: 1 }))]);
    expect(h.inFlight()).toHaveLength(1);
    await h.finishAll();
    expect(h.most.perEndpoint.get("limited")).toBe(1);
    expect(h.started).toHaveLength(4);
  });

  it("gives a long-throttled endpoint's rows back, due when the throttle ends, and sends the others", async () => {
    const h = harness();
    const until = new Date(Date.now() + 60_000);
    const throttled = [row("t", { throttledUntil: until }), row("t", { throttledUntil: until })];
    h.dispatcher.submit([...throttled, ...rows("ok", 2)]);
    await h.settle();
    expect(h.deferred).toEqual([{ rows: throttled, until }]);
    expect(h.inFlight().map((r) => r.endpointId)).toEqual(["ok", "ok"]);
    await h.finishAll();
  });

  it("on stop, gives the waiting rows back and waits for the attempts in flight", async () => {
    const h = harness({ concurrency: 2, endpointConcurrency: 2 });
    const given = rows("a", 5);
    h.dispatcher.submit(given);
    let stopped = false;
    const stopping = h.dispatcher.stop().then(() => {
      stopped = true;
    });
    await h.settle();
    expect(h.released.map((r) => r.id)).toEqual(given.slice(2).map((r) => r.id));
    expect(stopped).toBe(false);
    await h.finishAll();
    await stopping;
    expect(stopped).toBe(true);
    expect(h.started).toHaveLength(2);
    // Rows submitted after stop are given back, never attempted.
    const late = rows("a", 1);
    h.dispatcher.submit(late);
    await h.settle();
    expect(h.released.at(-1)).toBe(late[0]);
    expect(h.started).toHaveLength(2);
  });
});
