// Personal data and secrets never reach the logs: payer fields, msgBody, signs, tokens, secrets, an
// endpoint's headers, through the receiver, the worker, the /v1 API and a webhook delivery.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { loggerOptions } from "../../../src/ops/logger.js";
import { startNotificationWorker } from "../../../src/orders/worker.js";
import {
  createNotificationQueue,
  createProducerConnection,
  createWorkerConnection,
  waitUntilConnected,
} from "../../../src/queue/queue.js";
import { buildApp } from "../../../src/server.js";
import { startWebhookWorkers } from "../../../src/webhooks/index.js";
import { TEST_ADMIN_TOKEN, TEST_SIGN_TOKEN, testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { createEndpoint, createHarness, storeNotification, waitSettled } from "../../support/harness.js";
import { signedEnvelope } from "../../support/payzero.js";
import { startReceiver } from "../../support/receiver.js";
import { startOwnRedis } from "../../support/redis-server.js";

const SECRETS = ["王秘密", "110101199003071234", "13912345678", TEST_SIGN_TOKEN, TEST_ADMIN_TOKEN];
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(chunk.toString());
    done();
  },
});
const log = pino({ ...loggerOptions("trace") }, sink);

let sentSign = "";
let database: TestDatabase;
let db: Db;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 4);
  const config = testConfig({ redisPrefix: testRedisPrefix(), logLevel: "trace" });
  const producer = createProducerConnection(config);
  const queue = createNotificationQueue(producer, config.redisPrefix);
  await waitUntilConnected(producer, 5000);
  const app = await buildApiApp({ config, db, logger: log, notificationQueue: queue });
  const connection = createWorkerConnection(config);
  const worker = startNotificationWorker({ config, connection, db, log });
  cleanups.push(
    () => worker.close(),
    () => connection.disconnect(),
    () => app.close(),
    () => queue.obliterate({ force: true }),
    () => queue.close(),
    () => producer.disconnect(),
    () => db.$disconnect(),
    () => database.drop(),
  );
  const body = JSON.stringify({
    mchtOrderNo: "R-1",
    payerName: SECRETS[0],
    payerNumber: SECRETS[1],
    payerPhone: SECRETS[2],
    payStatus: "PAY_SUCCEED",
  });
  const env = signedEnvelope("PAY_STATUS_NOTIFY", body);
  sentSign = env.sign;
  await app.inject({ method: "POST", url: "/payzero/notify", payload: env });
  await app.inject({ method: "POST", url: "/payzero/notify", payload: { ...env, sign: "0".repeat(40) } });
  await app.inject({ method: "POST", url: "/payzero/notify", payload: { ...env, timestamp: "bad" } });
  await app.inject({ url: "/v1/orders/R-1", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  const deadline = Date.now() + 10_000;
  while (!(await db.order.findUnique({ where: { mchtOrderNo: "R-1" } })) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
});
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe("logs", () => {
  it("were written for receipt, refusal, storage and the API", () => {
    const text = lines.join("");
    expect(text).toMatch(/notification queued/);
    expect(text).toMatch(/bad sign/);
    expect(text).toMatch(/notification stored/);
    expect(text).toMatch(/\/v1\/orders\/R-1/);
  });

  it("hold no payer data, token or sign", () => {
    const text = lines.join("");
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(sentSign);
  });

  it("redact those keys wherever they sit in a logged object", () => {
    const captured: string[] = [];
    const out = new Writable({
      write(chunk, _enc, done) {
        captured.push(chunk.toString());
        done();
      },
    });
    const l = pino(loggerOptions("info"), out);
    // Every key the docs promise (docs/guarantees.md, docs/operations.md), at each depth redaction covers.
    const keys = [
      "payerName",
      "payerNumber",
      "payerPhone",
      "msgBody",
      "sign",
      "signToken",
      "secret",
      "authorization",
      "adminToken",
      "metricsToken",
    ];
    for (const key of keys) {
      const value = `value-of-${key}`;
      l.info({ [key]: value, outer: { [key]: value, inner: { [key]: value } } }, key);
    }
    l.info({ req: { headers: { "webhook-signature": "v1,abc" } } }, "a webhook's request");
    l.info({ err: { command: { name: "evalsha", args: ["payerName", "周某"] } } }, "a Redis error");
    const entries = captured.map((line) => JSON.parse(line));
    for (const [i, key] of keys.entries()) {
      const entry = entries[i];
      expect([entry[key], entry.outer[key], entry.outer.inner[key]], key).toEqual(
        Array(3).fill("[redacted]"),
      );
    }
    expect(entries[keys.length].req.headers["webhook-signature"]).toBe("[redacted]");
    expect(entries[keys.length + 1].err.command.args).toBe("[redacted]");
    expect(captured.join("")).not.toMatch(/value-of-|周某|v1,abc/);
  });
});

describe("a Redis error while queueing", () => {
  it("is logged without the job's payer data", async () => {
    const own = await startOwnRedis();
    const captured: string[] = [];
    const out = new Writable({
      write(chunk, _enc, done) {
        captured.push(chunk.toString());
        done();
      },
    });
    const config = testConfig({ redisUrl: own.url, redisPrefix: testRedisPrefix() });
    const producer = createProducerConnection(config);
    const queue = createNotificationQueue(producer, config.redisPrefix);
    try {
      await waitUntilConnected(producer, 5000);
      const app = await buildApp({
        config,
        logger: pino(loggerOptions("info"), out),
        notificationQueue: queue,
        probes: {},
      });
      // Every write is refused: Redis answers each command of the add with an error reply.
      await producer.config("SET", "maxmemory", "1");
      const body = JSON.stringify({
        mchtOrderNo: "R-2",
        payerName: SECRETS[0],
        payerNumber: SECRETS[1],
        payerPhone: SECRETS[2],
      });
      const envs = [body, `${body} `].map((b) => signedEnvelope("PAY_STATUS_NOTIFY", b));
      // One alone, then two at once.
      const answers = [await app.inject({ method: "POST", url: "/payzero/notify", payload: envs[0] })];
      answers.push(
        ...(await Promise.all(
          envs.map((payload) => app.inject({ method: "POST", url: "/payzero/notify", payload })),
        )),
      );
      expect(answers.map((r) => r.statusCode)).toEqual([503, 503, 503]);
      await app.close();
      const text = captured.join("");
      expect(text).toMatch(/notification not kept/);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    } finally {
      await queue.close();
      producer.disconnect();
      await own.destroy();
    }
  });
});

describe("a webhook delivery with secret headers", () => {
  it("is logged, failed attempt and success, without the endpoint's headers, its secret or payer data", async () => {
    const captured: string[] = [];
    const out = new Writable({
      write(chunk, _enc, done) {
        captured.push(chunk.toString());
        done();
      },
    });
    const h = await createHarness();
    const rx = await startReceiver();
    const workers = startWebhookWorkers({
      config: h.config,
      db: h.db,
      log: pino(loggerOptions("trace"), out),
    });
    try {
      // The first attempt fails (logged with its error and the response), the second succeeds.
      rx.on("/secret", (n) => (n === 1 ? { status: 500, body: "try again" } : { status: 200 }));
      const headerValues = ["Bearer endpoint-bearer-0123456789", "api-key-0123456789"];
      const endpoint = await createEndpoint(h.db, {
        url: rx.url("/secret"),
        headers: { authorization: headerValues[0]!, "x-api-key": headerValues[1]! },
      });
      const body = JSON.stringify({
        mchtOrderNo: "R-3",
        payerName: SECRETS[0],
        payerNumber: SECRETS[1],
        payerPhone: SECRETS[2],
        payStatus: "PAY_SUCCEED",
      });
      await storeNotification(h.db, workers.fanOut, { msgType: "PAY_STATUS_NOTIFY", msgBody: body });
      await waitSettled(h.db);
      // The endpoint got the headers and the payer data: only the logs must not.
      expect(rx.received).toHaveLength(2);
      expect(rx.received[1]!.headers["x-api-key"]).toBe(headerValues[1]);
      const signature = String(rx.received[1]!.headers["webhook-signature"]);
      const text = captured.join("");
      expect(text.match(/webhook attempt/g)?.length).toBe(2);
      for (const secret of [...SECRETS, ...headerValues, endpoint.secret, signature.split(",")[1]!])
        expect(text).not.toContain(secret);
    } finally {
      await workers.stop();
      await rx.close();
      await h.close();
    }
  });
});
