// Deliveries to message brokers, against the machine's real RabbitMQ and NATS JetStream: each test
// file makes its own vhost and stream and removes them after.
import { type AddressInfo, createServer, type Socket } from "node:net";
import type { ConfirmChannel, GetMessage } from "amqplib";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { buildPayload, signRequest } from "../../../src/webhooks/delivery/payload.js";
import { createDestinations } from "../../../src/webhooks/transports/destination.js";
import {
  createStream,
  createVhost,
  rabbitmqctl,
  type TestStream,
  type TestVhost,
} from "../../support/brokers.js";
import { NATS_HOST, RABBITMQ_HOST } from "../../support/env.js";
import {
  createEndpoint,
  createHarness,
  type Harness,
  log,
  storeNotification,
  waitFor,
  waitSettled,
} from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.js";

let h: Harness;
let vhost: TestVhost;
let stream: TestStream;
let ch: ConfirmChannel;
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  [h, vhost, stream] = await Promise.all([createHarness(), createVhost(), createStream()]);
  ch = await vhost.connection.createConfirmChannel();
});
afterEach(async () => {
  await h.stopWorkers();
  await h.db.webhookEndpoint.deleteMany();
  for (const p of proxies.splice(0)) await p.close();
});
afterAll(async () => {
  await h?.close();
  await vhost?.drop();
  await stream?.drop();
});

let serial = 0;
/** A notification with a new mchtOrderNo, stored and dispatched. */
function store(fanOut: Parameters<typeof storeNotification>[1]) {
  serial += 1;
  const mchtOrderNo = `B-${serial}`;
  return storeNotification(h.db, fanOut, {
    msgType: PAY_STATUS_NOTIFY,
    msgBody: orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED" }),
    orderAfter: { mchtOrderNo, payStatus: "PAY_SUCCEED" },
  });
}

/** A durable queue bound to `exchange` (declared here) with `bindingKey`. */
async function boundQueue(exchange: string, type: "direct" | "topic", bindingKey: string): Promise<string> {
  await ch.assertExchange(exchange, type, { durable: true });
  const { queue } = await ch.assertQueue(`${exchange}.q.${bindingKey}`, { durable: true });
  await ch.bindQueue(queue, exchange, bindingKey);
  return queue;
}

/** Every message in the queue now (acknowledged, so the queue is empty after). */
async function drain(queue: string): Promise<GetMessage[]> {
  const got: GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return got;
    got.push(m);
  }
}

const attemptsOf = (deliveryId: bigint) =>
  h.db.deliveryAttempt.findMany({ where: { deliveryId }, orderBy: { id: "asc" } });

const settledDelivery = (id: bigint) =>
  waitFor("the delivery to settle", async () => {
    const d = await h.db.delivery.findUniqueOrThrow({ where: { id } });
    return d.status !== "pending" && d;
  });

/** A proxy in front of a broker whose stop cuts its connections: an outage of that broker for this process only. */
async function proxyTo(hostPort: string): Promise<TcpProxy> {
  const [host, port] = hostPort.split(":");
  const proxy = await startTcpProxy(Number(port), host);
  proxies.push(proxy);
  return proxy;
}

/** Connections this vhost has from payzero-notify (the test's own are not named). */
async function notifyConnections(): Promise<number> {
  const stdout = await rabbitmqctl("list_connections", "vhost", "client_properties");
  return stdout.split("\n").filter((l) => l.startsWith(`${vhost.name}\t`) && l.includes("payzero-notify"))
    .length;
}

describe("RabbitMQ", () => {
  it("publishes once, persistent, with the message id and the signed headers; routing key defaults to the msgType", async () => {
    const queue = await boundQueue("payments", "direct", PAY_STATUS_NOTIFY);
    const ep = await createEndpoint(h.db, { url: vhost.url({ exchange: "payments" }) });
    const { fanOut } = h.start();
    const stored = await store(fanOut);
    const delivery = await settledDelivery(stored.deliveryIds[0]!);
    expect(delivery.status).toBe("succeeded");

    const messages = await drain(queue);
    expect(messages).toHaveLength(1);
    const m = messages[0]!;
    const body = m.content.toString("utf8");
    const messageId = `msg_${stored.notification.contentKey}`;
    expect(m.fields.routingKey).toBe(PAY_STATUS_NOTIFY);
    expect(m.properties.deliveryMode).toBe(2);
    expect(m.properties.messageId).toBe(messageId);
    expect(m.properties.contentType).toBe("application/json");
    expect(m.properties.type).toBe(PAY_STATUS_NOTIFY);
    const headers = m.properties.headers as Record<string, string>;
    expect(headers["webhook-id"]).toBe(messageId);
    // HTTP's own headers stay out (the content type is the message property above).
    expect(Object.keys(headers)).toEqual(
      expect.arrayContaining(["webhook-id", "webhook-signature", "webhook-timestamp"]),
    );
    expect(Object.keys(headers)).not.toEqual(expect.arrayContaining(["content-type"]));
    expect(Object.keys(headers)).not.toEqual(expect.arrayContaining(["user-agent"]));
    const verified = new Webhook(ep.secret).verify(body, {
      "webhook-id": headers["webhook-id"]!,
      "webhook-timestamp": String(headers["webhook-timestamp"]),
      "webhook-signature": headers["webhook-signature"]!,
    });
    expect(verified).toMatchObject({
      id: messageId,
      type: PAY_STATUS_NOTIFY,
      order: { mchtOrderNo: `B-${serial}` },
    });

    const [attempt, ...more] = await attemptsOf(delivery.id);
    expect(more).toEqual([]);
    expect(attempt).toMatchObject({
      statusCode: null,
      error: null,
      responseExcerpt: "confirmed by RabbitMQ",
    });
  });

  it("routes by the routingKey of the URL, and shares one connection per broker, closed when the workers stop", async () => {
    const queue = await boundQueue("events", "topic", "payzero.#");
    const other = await boundQueue("payments2", "direct", PAY_STATUS_NOTIFY);
    await createEndpoint(h.db, { url: vhost.url({ exchange: "events", routingKey: "payzero.orders" }) });
    await createEndpoint(h.db, { url: vhost.url({ exchange: "payments2" }) });
    const { fanOut } = h.start();
    await store(fanOut);
    await store(fanOut);
    await waitSettled(h.db);
    expect(await h.db.delivery.count({ where: { status: "succeeded" } })).toBe(4);
    const got = await drain(queue);
    expect(got.map((m) => m.fields.routingKey)).toEqual(["payzero.orders", "payzero.orders"]);
    expect(await drain(other)).toHaveLength(2);
    // (A connection the last test's workers closed may still be listed for a moment.)
    await waitFor("one connection for both endpoints", async () => (await notifyConnections()) === 1, 20_000);
    await h.stopWorkers();
    await waitFor("the connection to close", async () => (await notifyConnections()) === 0, 20_000);
  });

  it("fails an attempt to a missing exchange with RabbitMQ's reason, and the next attempt on a new channel succeeds", async () => {
    const ep = await createEndpoint(h.db, { url: vhost.url({ exchange: "later" }) });
    const { fanOut } = h.start({ webhookRetrySchedule: [] });
    const stored = await store(fanOut);
    const failed = await settledDelivery(stored.deliveryIds[0]!);
    expect(failed.status).toBe("failed");
    const [attempt] = await attemptsOf(failed.id);
    expect(attempt?.statusCode).toBeNull();
    expect(attempt?.error).toMatch(/404.*NOT_FOUND - no exchange 'later'/);
    expect(failed.lastError).toBe(attempt?.error);

    // The same exchange, now declared: the retried delivery goes through the same connection.
    const queue = await boundQueue("later", "direct", PAY_STATUS_NOTIFY);
    await h.db.delivery.update({
      where: { id: failed.id },
      data: { status: "pending", manualRetry: true, nextAttemptAt: new Date() },
    });
    expect((await settledDelivery(failed.id)).status).toBe("succeeded");
    expect(await drain(queue)).toHaveLength(1);
    expect(await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).toMatchObject({
      failingSince: null,
    });
  });

  it("fails an unroutable message (published mandatory, returned) instead of dropping it", async () => {
    await ch.assertExchange("nowhere", "direct", { durable: true });
    await createEndpoint(h.db, { url: vhost.url({ exchange: "nowhere" }) });
    const { fanOut } = h.start({ webhookRetrySchedule: [] });
    const stored = await store(fanOut);
    const failed = await settledDelivery(stored.deliveryIds[0]!);
    expect(failed.status).toBe("failed");
    expect(failed.lastError).toMatch(/unroutable.*312 NO_ROUTE.*routing key "PAY_STATUS_NOTIFY"/);
  });

  it("retries through an outage of the broker and delivers once when it is back", async () => {
    const queue = await boundQueue("outage", "direct", PAY_STATUS_NOTIFY);
    const proxy = await proxyTo(RABBITMQ_HOST);
    await createEndpoint(h.db, { url: vhost.url({ exchange: "outage" }, `127.0.0.1:${proxy.port}`) });
    const { fanOut } = h.start({ webhookRetrySchedule: Array(300).fill(0.1) });
    // Connected first, so the outage cuts an open connection.
    const first = await store(fanOut);
    expect((await settledDelivery(first.deliveryIds[0]!)).status).toBe("succeeded");

    proxy.down();
    const second = await store(fanOut);
    const id = second.deliveryIds[0]!;
    await waitFor("failed attempts during the outage", async () => (await attemptsOf(id)).length >= 2);
    proxy.up();
    expect((await settledDelivery(id)).status).toBe("succeeded");
    const attempts = await attemptsOf(id);
    expect(attempts.at(-1)?.responseExcerpt).toBe("confirmed by RabbitMQ");
    expect(attempts.slice(0, -1).every((a) => a.error !== null)).toBe(true);
    const got = await drain(queue);
    expect(got.map((m) => m.properties.messageId)).toEqual([
      `msg_${first.notification.contentKey}`,
      `msg_${second.notification.contentKey}`,
    ]);
  });
});

describe("either broker", () => {
  it("bounds a publish by WEBHOOK_TIMEOUT_MS: a broker that never answers is a failed attempt", async () => {
    // Accepts the TCP connection and says nothing: neither protocol's handshake can finish.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      await createEndpoint(h.db, { url: vhost.url({ exchange: "payments" }, `127.0.0.1:${port}`) });
      await createEndpoint(h.db, { url: `nats://127.0.0.1:${port}?subject=${stream.prefix}.silent` });
      const { fanOut } = h.start({ webhookRetrySchedule: [], webhookTimeoutMs: 700 });
      const stored = await store(fanOut);
      const settled = await Promise.all(stored.deliveryIds.map(settledDelivery));
      expect(settled.map((d) => [d.status, d.lastError])).toEqual([
        ["failed", "timeout after 700 ms"],
        ["failed", "timeout after 700 ms"],
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("NATS JetStream", () => {
  const natsUrl = (subject: string, hostPort = NATS_HOST) =>
    `nats://${hostPort}?subject=${encodeURIComponent(subject)}`;

  it("publishes once with Nats-Msg-Id and the signed headers, successful on JetStream's ack", async () => {
    const subject = `${stream.prefix}.payments`;
    const ep = await createEndpoint(h.db, { url: natsUrl(subject) });
    const before = (await stream.jsm.streams.info(stream.name)).state.last_seq;
    const { fanOut } = h.start();
    const stored = await store(fanOut);
    const delivery = await settledDelivery(stored.deliveryIds[0]!);
    expect(delivery.status).toBe("succeeded");
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt).toMatchObject({
      statusCode: null,
      error: null,
      responseExcerpt: `stored in JetStream stream ${stream.name} (seq ${before + 1})`,
    });

    const info = await stream.jsm.streams.info(stream.name);
    expect(info.state.last_seq).toBe(before + 1);
    const m = await stream.jsm.streams.getMessage(stream.name, { seq: before + 1 });
    expect(m?.subject).toBe(subject);
    const messageId = `msg_${stored.notification.contentKey}`;
    const header = (name: string) => m?.header.get(name) ?? "";
    expect(header("Nats-Msg-Id")).toBe(messageId);
    expect(header("content-type")).toBe("application/json");
    const body = m!.string();
    const verified = new Webhook(ep.secret).verify(body, {
      "webhook-id": header("webhook-id"),
      "webhook-timestamp": header("webhook-timestamp"),
      "webhook-signature": header("webhook-signature"),
    });
    expect(verified).toMatchObject({ id: messageId, type: PAY_STATUS_NOTIFY });
  });

  it("lets JetStream drop a message it already stored (same Nats-Msg-Id), and says so", async () => {
    const subject = `${stream.prefix}.dedupe`;
    const destinations = createDestinations(log);
    try {
      const now = new Date();
      const payload = buildPayload({
        contentKey: `dedupe-${Date.now()}`,
        msgType: PAY_STATUS_NOTIFY,
        timestamp: 1n,
        msgBody: "{}",
        source: "test",
        orderAfter: null,
      });
      const message = { ...signRequest(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], payload, now), type: "T" };
      const first = await destinations.send(natsUrl(subject), message, 5000);
      const again = await destinations.send(natsUrl(subject), message, 5000);
      expect(first).toMatchObject({
        ok: true,
        responseExcerpt: expect.stringMatching(/^stored in JetStream/),
      });
      expect(again).toMatchObject({ ok: true, responseExcerpt: expect.stringMatching(/duplicate dropped$/) });
      const info = await stream.jsm.streams.info(stream.name, { subjects_filter: subject });
      expect(info.state.subjects).toEqual({ [subject]: 1 });
    } finally {
      await destinations.close();
    }
  });

  it("fails an attempt to a subject no stream covers, with that reason", async () => {
    const subject = `payzero.nostream.${serial}`;
    await createEndpoint(h.db, { url: natsUrl(subject) });
    const { fanOut } = h.start({ webhookRetrySchedule: [] });
    const stored = await store(fanOut);
    const failed = await settledDelivery(stored.deliveryIds[0]!);
    expect(failed.status).toBe("failed");
    expect(failed.lastError).toBe(
      `no JetStream stream covers subject ${subject} (or JetStream is not enabled)`,
    );
  });

  it("retries through an outage of the server and delivers once when it is back", async () => {
    const subject = `${stream.prefix}.outage`;
    const proxy = await proxyTo(NATS_HOST);
    await createEndpoint(h.db, { url: natsUrl(subject, `127.0.0.1:${proxy.port}`) });
    const { fanOut } = h.start({ webhookRetrySchedule: Array(300).fill(0.1) });
    const first = await store(fanOut);
    expect((await settledDelivery(first.deliveryIds[0]!)).status).toBe("succeeded");

    proxy.down();
    const second = await store(fanOut);
    const id = second.deliveryIds[0]!;
    await waitFor("failed attempts during the outage", async () => (await attemptsOf(id)).length >= 2);
    proxy.up();
    expect((await settledDelivery(id)).status).toBe("succeeded");
    const info = await stream.jsm.streams.info(stream.name, { subjects_filter: subject });
    expect(info.state.subjects).toEqual({ [subject]: 2 });
  });
});
