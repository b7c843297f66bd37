// Redis down or silent: the receiver answers 503 quickly (Payzero resends) and never "OK".
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  beforeAll(async () => {
    h = await startIngest({ redisUrl: `redis://127.0.0.1:${await closedPort()}`, enqueueTimeoutMs: 2000 });
  });
  afterAll(() => h.close());

  it("answers 503 within the budget, and /readyz says Redis is down", async () => {
    const started = Date.now();
    const res = await h.app.inject({ method: "POST", url: "/payzero/notify", payload: envelope() });
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toBe("OK");
    expect(Date.now() - started).toBeLessThan(3000);
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
