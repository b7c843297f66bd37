// The worker verifies what the receiver verified (src/orders/queued-sign.ts): a job changed in Redis
// is not applied, is counted and logged, and is not retried; jobs without a sign (an older receiver's)
// are applied only when queued before the worker started, within UNSIGNED_JOBS_GRACE_SECONDS
// (docs/operations.md, "Upgrading"). Real Redis and Postgres.
import type { Queue } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationsRejected } from "../../../src/ops/metrics.js";
import { startNotificationWorker } from "../../../src/orders/worker.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import {
  closeConnection,
  closeWorker,
  createWorkerConnection,
  NOTIFICATION_JOB_NAME,
  type NotificationMessage,
  notificationJobOptions,
} from "../../../src/queue/queue.js";
import type { RedisClient } from "../../../src/queue/redis.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
let connection: RedisClient;
let worker: ReturnType<typeof startNotificationWorker> | undefined;
const logged: Array<Record<string, unknown>> = [];
const log = pino({ level: "info" }, { write: (line: string) => logged.push(JSON.parse(line)) });

beforeAll(async () => {
  p = await startPipeline();
  connection = createWorkerConnection(p.config);
});
afterAll(async () => {
  if (worker) await closeWorker(worker);
  await closeConnection(connection);
  await p.close();
});

async function rejected(reason: string): Promise<number> {
  const values = (await notificationsRejected.get()).values;
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

const order = (mchtOrderNo: string) => p.db.order.findUnique({ where: { mchtOrderNo } });

/** A message as a receiver older than signed jobs queued it: no sign, no charset. */
function unsignedMessage(mchtOrderNo: string, timestamp: number): NotificationMessage {
  const env = signedEnvelope(
    PAY_STATUS_NOTIFY,
    orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED" }),
    timestamp,
  );
  return {
    msgType: env.msgType,
    timestamp: String(env.timestamp),
    msgBody: env.msgBody,
    receivedAt: new Date().toISOString(),
  };
}

async function notify(mchtOrderNo: string, payStatus: string, timestamp: number): Promise<void> {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(PAY_STATUS_NOTIFY, orderBody({ mchtOrderNo, payStatus }), timestamp),
  });
  expect(res.body).toBe("OK");
}

describe("the worker's second verification", () => {
  it("applies what was queued before it started and refuses a job whose data was rewritten in Redis", async () => {
    const badBefore = await rejected("bad_sign_in_queue");
    // Queued by the receiver, then changed in Redis: PAY_FAILED becomes PAY_SUCCEED inside the job's data.
    await notify("Q-TAMPER", "PAY_FAILED", 1_765_000_000_000);
    const [job] = await p.queue.getJobs(["waiting"], 0, -1);
    const key = p.queue.toKey(job!.id!);
    const data = await p.connection.hget(key, "data");
    expect(data).toContain("PAY_FAILED");
    await p.connection.hset(key, "data", data!.replace("PAY_FAILED", "PAY_SUCCEED"));
    // A genuine one in its own job, untouched.
    await notify("Q-GOOD", "PAY_SUCCEED", 1_765_000_000_001);
    // Two of an older receiver, queued before the worker starts: a micro-batch job and a pre-batch one.
    await p.queue.add(
      NOTIFICATION_JOB_NAME,
      { messages: [unsignedMessage("Q-OLD-BATCH", 1000)] },
      notificationJobOptions,
    );
    const old = p.queue as unknown as Queue<NotificationMessage>;
    const last = await old.add(
      PAY_STATUS_NOTIFY,
      unsignedMessage("Q-OLD-SINGLE", 1000),
      notificationJobOptions,
    );
    // "Before the worker started" is strict, in milliseconds: start it in a later millisecond than the
    // last job's stamp (in the same one, that job is not the upgrade's backlog, and this test flaked).
    while (Date.now() <= last.timestamp) await new Promise((resolve) => setTimeout(resolve, 1));

    worker = startNotificationWorker({ config: p.config, connection, db: p.db, log });
    await p.drained(30_000);

    expect(await order("Q-TAMPER")).toBeNull();
    expect(await p.db.notification.count({ where: { msgBody: { contains: "Q-TAMPER" } } })).toBe(0);
    expect(await rejected("bad_sign_in_queue")).toBe(badBefore + 1);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 50,
        reason: "bad_sign_in_queue",
        job: job!.id,
        msgType: PAY_STATUS_NOTIFY,
      }),
    );
    // Not retried: the job is done with, not failed or waiting for another try.
    expect(await p.queue.getJobCounts("failed", "delayed", "waiting")).toMatchObject({
      failed: 0,
      delayed: 0,
      waiting: 0,
    });

    expect(await order("Q-GOOD")).toMatchObject({ payStatus: "PAY_SUCCEED" });
    expect(await order("Q-OLD-BATCH")).toMatchObject({ payStatus: "PAY_SUCCEED" });
    expect(await order("Q-OLD-SINGLE")).toMatchObject({ payStatus: "PAY_SUCCEED" });
    expect(logged.filter((l) => /without a sign/.test(String(l.msg)) && l.level === 40)).toHaveLength(2);
  });

  it("refuses a job without a sign queued after it started", async () => {
    const before = await rejected("unsigned_in_queue");
    await p.queue.add(
      NOTIFICATION_JOB_NAME,
      { messages: [unsignedMessage("Q-FORGED", 2000)] },
      notificationJobOptions,
    );
    await p.drained(30_000);
    expect(await order("Q-FORGED")).toBeNull();
    expect(await rejected("unsigned_in_queue")).toBe(before + 1);
    expect(logged).toContainEqual(expect.objectContaining({ level: 50, reason: "unsigned_in_queue" }));
    expect(await p.queue.getJobCounts("failed")).toEqual({ failed: 0 });
  });
});
