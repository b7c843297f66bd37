// A worker process SIGKILLed while the endpoint holds its POST: nothing recorded the attempt, so once
// the dead process's hold on the delivery runs out another worker process claims it and POSTs again,
// with the same webhook-id. Exactly two POSTs: the one in flight at the crash, and the one that
// succeeded (after which the delivery is settled and nothing sends it again).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { childPids, type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { deleteKeys } from "../../support/redis.js";
import { freePort } from "../../support/redis-server.js";

let database: TestDatabase;
let db: Db;
let receiver: Receiver;
let port: number;
let service: ServiceProcess;
const prefix = testRedisPrefix();

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 2);
  receiver = await startReceiver();
  port = await freePort();
  service = startService("all", {
    ...serviceEnv(database.url, prefix, port),
    // The workers in a child process of their own: the test SIGKILLs that process alone, mid-POST.
    WORKER_MODE: "process",
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    WEBHOOK_TIMEOUT_MS: "3000",
    WEBHOOK_LEASE_GRACE_MS: "1000",
    WEBHOOK_POLL_INTERVAL_MS: "200",
  });
  await until("the service answers", () => http("/healthz").then((r) => r.status === 200));
}, 60_000);
afterAll(async () => {
  await service?.stop(5000);
  await receiver?.close();
  await db?.$disconnect();
  await database?.drop();
  await deleteKeys(REDIS_URL, `${prefix}*`);
});

const http = (path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${port}${path}`, init).catch(() => new Response(null, { status: 599 }));

/** waitFor, with the service's last output in the error. */
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) =>
  waitFor(what, check, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}:\n${service.output().slice(-2000)}`);
  });

describe("a worker process killed mid-POST", () => {
  it("leaves a delivery another process POSTs again once: exactly two POSTs, one webhook-id", async () => {
    // The first POST is held for ever (its sender dies with it); the next is answered.
    receiver.on("/held", (n) => (n === 1 ? "hang" : { status: 200 }));
    const created = await http("/v1/webhooks", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ url: receiver.url("/held") }),
    });
    expect(created.status).toBe(201);
    const notified = await http("/payzero/notify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        signedEnvelope(
          "PAY_STATUS_NOTIFY",
          orderBody({ mchtOrderNo: "MIDPOST-1", payStatus: "PAY_SUCCEED" }),
        ),
      ),
    });
    expect(await notified.text()).toBe("OK");
    await until("the endpoint holds the first POST", async () => receiver.received.length === 1);

    // The holder: role all's worker process, the one that sent the POST.
    const [holder] = childPids(service.child.pid!);
    expect(holder).toBeGreaterThan(0);
    process.kill(holder!, "SIGKILL");
    // The parent starts a new worker process, which claims the row once the dead one's hold is over.
    await until(
      "the delivery settled",
      async () => (await db.delivery.findFirst())?.status === "succeeded",
      30_000,
    );

    const posts = receiver.received;
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers["webhook-id"]).toBe(posts[0]!.headers["webhook-id"]);
    expect(posts[1]!.body).toBe(posts[0]!.body);
    // The POST in flight at the crash left no record: one attempt, the one that succeeded.
    const delivery = await db.delivery.findFirstOrThrow();
    expect(delivery.attemptCount).toBe(1);
    expect(await db.deliveryAttempt.count()).toBe(1);
    expect(childPids(service.child.pid!)).not.toContain(holder);
  }, 60_000);
});
