// SIGTERM mid-burst: the service stops taking requests, finishes what it holds, exits 0; a message
// answered OK before the stop is stored once the service is back (rolling restarts lose nothing).
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { signedKey } from "../../../src/payzero/envelope.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import { deleteKeys } from "../../support/redis.js";
import { freePort } from "../../support/redis-server.js";
import { lockTable } from "../../support/table-lock.js";

let database: TestDatabase;
let db: Db;
let env: Record<string, string>;
let port: number;
const prefix = testRedisPrefix();
let service: ServiceProcess | undefined;

async function startAndWait(more: Record<string, string> = {}): Promise<ServiceProcess> {
  const s = startService("all", { ...env, ...more });
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return s;
  }
  throw new Error(`service did not start:\n${s.output()}`);
}

const stoppingLines = (output: string) => output.split('"msg":"stopping"').length - 1;

async function waitUntil(what: string, done: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await done()); await sleep(20))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 2);
  port = await freePort();
  env = serviceEnv(database.url, prefix, port);
}, 60_000);
afterAll(async () => {
  await service?.stop(5000);
  await db.$disconnect();
  await database.drop();
  await deleteKeys(REDIS_URL, `${prefix}*`);
});

describe("SIGTERM", () => {
  it("answers every request it took, exits 0, and loses nothing it answered OK", async () => {
    service = await startAndWait();
    const envelopes = Array.from({ length: 200 }, (_, i) =>
      signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `TERM-${i}`, payStatus: "PAY_SUCCEED" })),
    );
    const answers: Array<Promise<{ key: string; status: number | "refused"; body: string }>> = [];
    let stopped: Promise<number | null> | undefined;
    for (const [i, env] of envelopes.entries()) {
      answers.push(
        fetch(`http://127.0.0.1:${port}/payzero/notify`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(env),
        }).then(
          async (r) => ({
            key: signedKey(env.sign),
            status: r.status,
            body: await r.text(),
          }),
          () => ({ key: signedKey(env.sign), status: "refused" as const, body: "" }),
        ),
      );
      if (i === 100) stopped = service.stop(20_000);
      if (i % 20 === 19) await sleep(5);
    }
    const results = await Promise.all(answers);
    expect(await stopped).toBe(0);
    for (const r of results) {
      // OK, the 503 of a closing server, or no connection at all: never a half answer or a 500.
      expect([200, 503, "refused"]).toContain(r.status);
      if (r.status === 200) expect(r.body).toBe("OK");
    }
    const ok = results.filter((r) => r.status === 200).map((r) => r.key);
    expect(ok.length).toBeGreaterThan(0);

    service = await startAndWait();
    const deadline = Date.now() + 30_000;
    while (
      (await db.notification.count({ where: { contentKey: { in: ok } } })) < ok.length &&
      Date.now() < deadline
    ) {
      await sleep(100);
    }
    expect(await db.notification.count({ where: { contentKey: { in: ok } } })).toBe(ok.length);
  }, 90_000);

  it("waits for the job in hand: a message held mid-apply is stored before the service exits", async () => {
    await service?.stop(20_000);
    service = await startAndWait({ LOG_LEVEL: "info" });
    // The test holds the notifications table: the worker's transaction waits, its job in hand.
    const lock = await lockTable(database.url, "notifications");
    let released = false;
    try {
      const env = signedEnvelope(
        "PAY_STATUS_NOTIFY",
        orderBody({ mchtOrderNo: "HELD-1", payStatus: "PAY_SUCCEED" }),
      );
      const res = await fetch(`http://127.0.0.1:${port}/payzero/notify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(env),
      });
      expect(await res.text()).toBe("OK");
      await waitUntil("the worker's transaction waiting on the lock", () => lock.waiters(db));
      const s = service;
      const stopped = s.stop(30_000);
      // Both processes are stopping (the receiver, then its worker process): only then does the apply go on.
      await waitUntil("the worker process stopping", async () => stoppingLines(s.output()) >= 2);
      await lock.release();
      released = true;
      expect(await stopped, s.output().slice(-2000)).toBe(0);
      service = undefined;
      // Before any restart: the stop waited for the job, whose message is stored.
      expect(await db.notification.count({ where: { contentKey: signedKey(env.sign) } })).toBe(1);
    } finally {
      if (!released) await lock.release();
    }
  }, 90_000);

  it("is not held by a client trickling its body: exits 0 well within compose's 10 s stop grace", async () => {
    await service?.stop(20_000);
    service = await startAndWait();
    // HTTP_TIMEOUT_MS (30 s by default) cuts such a client, later than any stop can wait.
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      "POST /payzero/notify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    const trickle = setInterval(() => socket.write(" "), 200);
    await sleep(500);
    const started = Date.now();
    const code = await service.stop(30_000);
    clearInterval(trickle);
    socket.destroy();
    const tookMs = Date.now() - started;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
  }, 60_000);
});

describe("SIGTERM during start-up", () => {
  it("waits for the start-up to finish, then stops what started and exits 0", async () => {
    // A Redis that takes connections and never answers keeps the receiver starting for 5 s.
    const sockets = new Set<Socket>();
    let reached: () => void = () => {};
    const connected = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const silent = createServer((socket) => {
      sockets.add(socket);
      reached();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const redisPort = (silent.address() as AddressInfo).port;
    const starting = startService("api", {
      ...env,
      PORT: String(await freePort()),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      LOG_LEVEL: "info",
    });
    try {
      await connected; // the service is starting: it has begun to connect
      const code = await starting.stop(30_000);
      const output = starting.output();
      expect(code, output).toBe(0);
      // The signal was taken while the start-up still waited for Redis.
      expect(output.indexOf('"msg":"stopping"')).toBeGreaterThan(-1);
      expect(output.indexOf('"msg":"stopping"')).toBeLessThan(output.indexOf("Redis not reachable yet"));
    } finally {
      await starting.stop(1000);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 60_000);
});
