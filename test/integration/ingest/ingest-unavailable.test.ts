// Redis down or silent: the receiver answers 503 quickly (Payzero resends) and never "OK".
import { createServer, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/server.js";
import { type IngestHarness, startIngest } from "../../support/ingest.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";

/** A TCP server that accepts connections and never answers: a hung Redis. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, port: address.port, sockets };
}

async function closedPort(): Promise<number> {
  const { server, port } = await silentServer();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const envelope = () =>
  signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `DOWN-${Math.random()}` }));

describe("when Redis refuses connections", () => {
  let h: IngestHarness;
  const notify = () => h.app.inject({ method: "POST", url: "/payzero/notify", payload: envelope() });
  const notKept: Array<{ err?: { type?: string }; durationMs?: number }> = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        const line = JSON.parse(chunk.toString());
        if (line.msg === "notification not kept") notKept.push(line);
        done();
      },
    });
    h = await startIngest(
      { redisUrl: `redis://127.0.0.1:${await closedPort()}`, enqueueTimeoutMs: 2000 },
      ({ config, notificationQueue, redis }) =>
        buildApp({
          config,
          notificationQueue,
          probes: { redis: () => redis.ping() },
          logger: pino({ level: "error" }, sink),
        }),
    );
  });
  afterAll(() => h.close());

  it("answers 503 at once, not after the enqueue budget, and /readyz says Redis is down", async () => {
    // The first request pays for the route's first run (a loaded machine: a few hundred ms).
    expect((await notify()).statusCode).toBe(503);
    // Without the receiver's fail-fast check each request waits out ENQUEUE_TIMEOUT_MS (2 s here, 10×
    // the bound) for the connection that is not there, and ends in an EnqueueTimeoutError.
    const took: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await notify();
      took.push(performance.now() - started);
      expect(res.statusCode).toBe(503);
      expect(res.body).not.toBe("OK");
    }
    expect(Math.min(...took)).toBeLessThan(200);
    expect(notKept.map((l) => l.err?.type)).toEqual(Array(6).fill("QueueUnavailableError"));
    const ready = await h.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.redis).not.toBe("ok");
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});

describe("when Redis accepts but never answers", () => {
  let h: IngestHarness;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    silent = await silentServer();
    h = await startIngest({ redisUrl: `redis://127.0.0.1:${silent.port}`, enqueueTimeoutMs: 500 });
  });
  afterAll(async () => {
    await h.close();
    for (const s of silent.sockets) s.destroy();
    await new Promise((resolve) => silent.server.close(resolve));
  });

  it("answers 503 after the enqueue budget instead of hanging", async () => {
    const started = Date.now();
    const res = await h.app.inject({ method: "POST", url: "/payzero/notify", payload: envelope() });
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe("when Redis is up", () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await startIngest();
  });
  afterAll(() => h.close());

  it("/readyz is 200", async () => {
    const ready = await h.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ok", checks: { redis: "ok" } });
  });
});
