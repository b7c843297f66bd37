// SIGTERM mid-burst: the service stops taking requests, finishes what it holds, exits 0; a message
// answered OK before the stop is stored once the service is back (rolling restarts lose nothing).
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { contentKey } from "../../src/payzero/envelope.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../support/db.js";
import { REDIS_URL } from "../support/env.js";
import { orderBody, signedEnvelope } from "../support/payzero.js";
import { type ServiceProcess, serviceEnv, startService } from "../support/processes.js";
import { deleteKeys } from "../support/redis.js";
import { freePort } from "../support/redis-server.js";

let database: TestDatabase;
let db: Db;
let env: Record<string, string>;
let port: number;
const prefix = testRedisPrefix();
let service: ServiceProcess | undefined;

async function startAndWait(): Promise<ServiceProcess> {
  const s = startService("all", env);
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
            key: contentKey(env.msgType, env.msgBody),
            status: r.status,
            body: await r.text(),
          }),
          () => ({ key: contentKey(env.msgType, env.msgBody), status: "refused" as const, body: "" }),
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
});
