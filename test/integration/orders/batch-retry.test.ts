// A job holds several messages; one failing retries the whole job, and the messages applied already
// collapse as duplicates in Postgres: each stored once, each POSTed once per subscribed endpoint.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationsProcessed } from "../../../src/ops/metrics.js";
import { signedKey } from "../../../src/payzero/envelope.js";
import {
  NOTIFICATION_JOB_NAME,
  type NotificationMessage,
  notificationJobOptions,
} from "../../../src/queue/queue.js";
import { queryDatabase } from "../../support/admin.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

let p: Pipeline;
let receiver: Receiver;
beforeAll(async () => {
  p = await startPipeline({ webhookRetrySchedule: [0, 0, 0], webhookPollIntervalMs: 200 });
  receiver = await startReceiver();
  const res = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url("/all"), description: "all" },
  });
  expect(res.statusCode).toBe(201);
  // Storing a message of order FAIL-TWICE fails the first two times (a sequence is not rolled back).
  await queryDatabase(
    p.database.url,
    `CREATE SEQUENCE fail_twice;
     CREATE FUNCTION fail_twice() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW.mcht_order_no = 'FAIL-TWICE' AND nextval('fail_twice') <= 2 THEN
         RAISE EXCEPTION 'injected failure';
       END IF;
       RETURN NEW;
     END $$;
     CREATE TRIGGER fail_twice BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION fail_twice();`,
  );
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
});
afterAll(async () => {
  await p.close();
  await receiver.close();
});

async function processed(result: string): Promise<number> {
  const values = (await notificationsProcessed.get()).values;
  return values.filter((v) => v.labels.result === result).reduce((sum, v) => sum + v.value, 0);
}

describe("a notification job that fails part way", () => {
  it("is retried whole; what it applied before is a duplicate, stored and forwarded once", async () => {
    const messages = [
      signedEnvelope(
        "PAY_STATUS_NOTIFY",
        orderBody({ mchtOrderNo: "RETRY-1", payStatus: "PAY_APPLIED" }),
        1000,
      ),
      signedEnvelope(
        "PAY_STATUS_NOTIFY",
        orderBody({ mchtOrderNo: "FAIL-TWICE", payStatus: "PAY_SUCCEED" }),
        1000,
      ),
      signedEnvelope(
        "PAY_STATUS_NOTIFY",
        orderBody({ mchtOrderNo: "RETRY-1", payStatus: "PAY_SUCCEED" }),
        2000,
      ),
    ].map(
      (e): NotificationMessage => ({
        msgType: e.msgType,
        timestamp: String(e.timestamp),
        msgBody: e.msgBody,
        sign: e.sign,
        signedOver: "UTF-8",
        receivedAt: new Date().toISOString(),
      }),
    );
    const duplicatesBefore = await processed("duplicate");
    await p.queue.add(NOTIFICATION_JOB_NAME, { messages }, notificationJobOptions);
    await p.drained(30_000);

    // The batch failed, each message then went alone (the second failing again), and the job ran again.
    const [{ last_value }] = (await queryDatabase(p.database.url, "SELECT last_value FROM fail_twice")).rows;
    expect(Number(last_value)).toBe(3);
    // Applied once each: the two of RETRY-1 the first time, and found stored the second.
    expect(await p.db.notification.count()).toBe(3);
    expect(await processed("duplicate")).toBe(duplicatesBefore + 2);
    expect(await p.db.order.findUnique({ where: { mchtOrderNo: "RETRY-1" } })).toMatchObject({
      payStatus: "PAY_SUCCEED",
    });
    expect(await p.db.order.findUnique({ where: { mchtOrderNo: "FAIL-TWICE" } })).toMatchObject({
      payStatus: "PAY_SUCCEED",
    });
    // Forwarded once each.
    const deadline = Date.now() + 15_000;
    while ((await p.db.delivery.count({ where: { status: "pending" } })) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await p.db.delivery.count({ where: { status: "succeeded" } })).toBe(3);
    const forwarded = receiver.received.map((r) => r.headers["webhook-id"]);
    expect(forwarded.sort()).toEqual(messages.map((m) => `msg_${signedKey(m.sign!)}`).sort());
    expect(await p.queue.getJobCounts("failed")).toEqual({ failed: 0 });
  });
});
