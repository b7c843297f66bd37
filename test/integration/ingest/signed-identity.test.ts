// A message's identity is what Payzero signed (docs/payzero.md, "Identity"): a captured notification
// re-sent with an unsigned change (another msgType, digits moved between timestamp and msgBody) is the
// same message, with no new delivery; a msgType Payzero does not send is stored and shown but goes
// only to endpoints that name it, and never becomes an AMQP routing key. Real HTTP receiver, real
// RabbitMQ, real Postgres and Redis.
import type { ConfirmChannel, GetMessage } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBody } from "../../../src/orders/personal-data.js";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { payzeroSign } from "../../../src/payzero/sign.js";
import { createVhost, type TestVhost } from "../../support/brokers.js";
import { TEST_SIGN_TOKEN } from "../../support/config.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

const UNKNOWN = "REFUND_STATUS_NOTIFY";
/** Sorts before any timestamp, so timestamp and msgBody are adjacent in the signed text. */
const DIGIT_TOKEN = "0-sorts-first-4f1c9a27";

let p: Pipeline;
let receiver: Receiver;
let vhost: TestVhost;
let ch: ConfirmChannel;
let anyKeyQueue: string;
let namedQueue: string;
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  [p, receiver, vhost] = await Promise.all([
    startPipeline({
      signTokens: [TEST_SIGN_TOKEN, DIGIT_TOKEN],
      webhookRetrySchedule: [0],
      webhookPollIntervalMs: 200,
    }),
    startReceiver(),
    createVhost(),
  ]);
  ch = await vhost.connection.createConfirmChannel();
  // Topic exchanges bound with "#": whatever routing key a publish uses, it is seen here.
  anyKeyQueue = await catchAll("all-types");
  namedQueue = await catchAll("named-types");
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  for (const [name, payload] of Object.entries({
    all: { url: receiver.url("/all") },
    named: { url: receiver.url("/named"), msgTypes: [UNKNOWN] },
    amqpAll: { url: vhost.url({ exchange: "all-types" }) },
    amqpNamed: { url: vhost.url({ exchange: "named-types" }), msgTypes: [UNKNOWN] },
  })) {
    const res = await p.app.inject({ method: "POST", url: "/v1/webhooks", headers: p.authorized, payload });
    expect(res.statusCode, res.body).toBe(201);
    endpoints[name] = res.json().id;
  }
});
afterAll(async () => {
  await p?.close();
  await receiver?.close();
  await vhost?.drop();
});

async function catchAll(exchange: string): Promise<string> {
  await ch.assertExchange(exchange, "topic", { durable: true });
  const { queue } = await ch.assertQueue(`${exchange}.q`, { durable: true });
  await ch.bindQueue(queue, exchange, "#");
  return queue;
}

async function drain(queue: string): Promise<GetMessage[]> {
  const got: GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return got;
    got.push(m);
  }
}

async function post(envelope: object): Promise<void> {
  const res = await p.app.inject({ method: "POST", url: "/payzero/notify", payload: envelope });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.body).toBe("OK");
  await p.drained();
}

/** Every delivery settled (none pending): the fan-out of what was stored has been sent. */
async function settled(): Promise<void> {
  await waitFor("deliveries to settle", async () =>
    (await p.db.delivery.count({ where: { status: "pending" } })) === 0 ? true : undefined,
  );
}

const webhookIds = (path: string) =>
  receiver.received.filter((r) => r.path === path).map((r) => r.headers["webhook-id"]);

describe("a captured notification re-sent with unsigned changes", () => {
  it("under another msgType: the same message, no new delivery, no other routing key", async () => {
    const env = signedEnvelope(
      PAY_STATUS_NOTIFY,
      orderBody({ mchtOrderNo: "ID-TYPE", payStatus: "PAY_SUCCEED" }),
      1_765_000_000_000,
    );
    await post(env);
    await settled();
    const [first] = webhookIds("/all");
    expect(first).toMatch(/^msg_[0-9a-f]{64}$/);
    expect((await drain(anyKeyQueue)).map((m) => m.fields.routingKey)).toEqual([PAY_STATUS_NOTIFY]);

    for (const msgType of [DECLARE_STATUS_NOTIFY, UNKNOWN, "pay.succeeded.#"])
      await post({ ...env, msgType });
    await settled();
    expect(await p.db.notification.count({ where: { mchtOrderNo: "ID-TYPE" } })).toBe(1);
    expect(webhookIds("/all")).toEqual([first]);
    expect(webhookIds("/named")).toEqual([]);
    expect(await drain(anyKeyQueue)).toEqual([]);
    expect(await drain(namedQueue)).toEqual([]);
    // The first copy's msgType stands.
    expect((await p.db.notification.findFirstOrThrow({ where: { mchtOrderNo: "ID-TYPE" } })).msgType).toBe(
      PAY_STATUS_NOTIFY,
    );
  });

  it("with digits moved from the timestamp into msgBody: the same sign, the same message", async () => {
    const body = orderBody({ mchtOrderNo: "ID-DIGITS", payStatus: "PAY_SUCCEED" });
    const env = signedEnvelope(PAY_STATUS_NOTIFY, body, "1765000000123", DIGIT_TOKEN);
    await post(env);
    await settled();
    const before = webhookIds("/all").length;
    // token + "176500000012" + "3{…}" is the same text as token + "1765000000123" + "{…}": the sign covers both.
    const moved = { ...env, timestamp: "176500000012", msgBody: `3${body}` };
    expect(payzeroSign(DIGIT_TOKEN, moved.timestamp, moved.msgBody)).toBe(env.sign);
    await post(moved);
    await post({ ...moved, msgType: UNKNOWN });
    await settled();
    // Bodies are sealed at rest: opened here to find every copy, whatever its mchtOrderNo came out as.
    const bodies = (await p.db.notification.findMany()).map((n) => openBody(n.contentKey, n.msgBody));
    expect(bodies.filter((b) => b?.includes("ID-DIGITS"))).toHaveLength(1);
    expect(webhookIds("/all")).toHaveLength(before);
    expect(await drain(anyKeyQueue)).toHaveLength(1);
  });
});

describe("a msgType Payzero does not send", () => {
  it("is answered OK, stored and listed, forwarded only to endpoints that name it, and never a routing key", async () => {
    const body = orderBody({ mchtOrderNo: "ID-UNKNOWN", payStatus: "PAY_SUCCEED" });
    await post(signedEnvelope(UNKNOWN, body, 1_765_000_100_000));
    await settled();
    const res = await p.app.inject({
      method: "GET",
      url: `/v1/notifications?mchtOrderNo=ID-UNKNOWN`,
      headers: p.authorized,
    });
    expect(res.statusCode).toBe(200);
    const listed = res.json().items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      msgType: UNKNOWN,
      applied: false,
      problem: `unknown msgType ${UNKNOWN}`,
    });

    // The HTTP endpoint that names it gets it; the one without a filter does not.
    expect(webhookIds("/named")).toHaveLength(1);
    expect(webhookIds("/all").filter((id) => id === webhookIds("/named")[0])).toEqual([]);
    // The AMQP endpoint that names it has no routingKey: nothing is published, the attempt says why.
    expect(await drain(namedQueue)).toEqual([]);
    const amqpNamed = await p.db.delivery.findFirstOrThrow({
      where: { endpointId: endpoints.amqpNamed, notification: { mchtOrderNo: "ID-UNKNOWN" } },
      include: { attempts: true },
    });
    expect(amqpNamed.attempts[0]?.error).toMatch(/is not one Payzero sends.*routingKey/);
    expect(
      await p.db.delivery.count({
        where: {
          endpointId: { in: [endpoints.all!, endpoints.amqpAll!] },
          notification: { mchtOrderNo: "ID-UNKNOWN" },
        },
      }),
    ).toBe(0);
  });
});

describe("a msgType the signed body contradicts", () => {
  it("is taken as the type of the status the body carries", async () => {
    const body = orderBody({ mchtOrderNo: "ID-CONTRA", payStatus: "PAY_SUCCEED" });
    const parsed = JSON.parse(body);
    parsed.declareStatus = null;
    await post(signedEnvelope(DECLARE_STATUS_NOTIFY, JSON.stringify(parsed), 1_765_000_200_000));
    const stored = await p.db.notification.findFirstOrThrow({ where: { mchtOrderNo: "ID-CONTRA" } });
    expect(stored).toMatchObject({ msgType: PAY_STATUS_NOTIFY, applied: true });
    expect(stored.problem).toMatch(/does not match the body/);
    expect((await p.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "ID-CONTRA" } })).payStatus).toBe(
      "PAY_SUCCEED",
    );
  });
});
