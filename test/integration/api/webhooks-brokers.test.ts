// /v1/webhooks with broker URLs: their checks (400 with a message, nothing stored) and their
// credentials, which no view returns in full.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openUrl } from "../../../src/webhooks/endpoints/endpoint-sealing.js";
import { auth, buildV1, createHarness, type Harness, testKeyring } from "../../support/harness.js";

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await createHarness();
  app = await buildV1(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

type Json = Record<string, unknown>;
async function call(method: "GET" | "POST" | "PATCH", url: string, payload?: Json) {
  const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

/** The stored URL with its credential opened (it is sealed at rest: database-destination-checks.test.ts). */
const storedUrl = async (id: unknown) =>
  openUrl(
    testKeyring,
    String(id),
    (await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: String(id) } })).url,
  );

describe("broker URLs", () => {
  it.each([
    ["amqp://guest:guest@mq:5672/pay?exchange=payments&routingKey=orders.paid"],
    ["amqps://mq.internal/pay?exchange=payments"],
    ["amqp://mq.internal?exchange="],
    ["amqp://mq.internal/%2F?exchange=payments&heartbeat=30"],
    ["nats://nats.internal:4222?subject=payzero.orders"],
    ["nats://user:pw@nats.internal?subject=payzero.orders.paid"],
  ])("accepts %s", async (url) => {
    const res = await call("POST", "/v1/webhooks", { url });
    expect(res.status).toBe(201);
    expect(await storedUrl(res.body.id)).toBe(url);
  });

  it.each([
    ["amqp://mq.internal/pay", /needs \?exchange=<name>/],
    ["amqp://mq.internal/pay?exchange=x&routingkey=y", /unknown parameter "routingkey"/],
    ["amqp://mq.internal/pay?exchange=x&routingKey=", /routingKey must not be empty/],
    ["amqp://mq.internal/pay?exchange=x&exchange=y", /once each/],
    ["amqp://mq.internal/a/b?exchange=x", /one segment/],
    ["nats://nats.internal:4222", /needs \?subject=<subject>/],
    ["nats://nats.internal:4222?subject=", /needs \?subject=<subject>/],
    ["nats://nats.internal:4222?subject=orders.*", /no wildcards/],
    ["nats://nats.internal:4222?subject=orders..paid", /empty token/],
    ["nats://nats.internal:4222/x?subject=orders", /no path/],
    ["nats://nats.internal:4222?subject=a&stream=S", /unknown parameter "stream"/],
    ["postgres://u:p@db.internal/shop", /needs \?table=<name>/],
    ["postgres://u:p@db.internal/shop?table=a-b", /letters, digits and _/],
    ["postgres://u:p@db.internal/shop?table=t&schema=x", /unknown parameter "schema"/],
    ["postgres://u:p@db.internal/shop?table=t&personalData=yes", /personalData is true or false/],
    ["mysql://u:p@db.internal?table=t", /needs the database/],
    ["mysql://db.internal/shop?table=t", /needs a user/],
    [
      "kafka://broker:9092/topic",
      /url must be http or https \(or amqp, amqps: RabbitMQ; nats: NATS JetStream; postgres, mysql: a table in your database\)/,
    ],
  ])("refuses %s with a 400 that says why", async (url, message) => {
    const before = await h.db.webhookEndpoint.count();
    const res = await call("POST", "/v1/webhooks", { url });
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toMatch(message);
    expect(await h.db.webhookEndpoint.count()).toBe(before);
  });
});

describe("credentials in URLs", () => {
  it("are masked in every view, and a URL written back as shown keeps the stored password", async () => {
    const url = "amqp://payzero:s3cr%40t@mq.internal:5672/pay?exchange=payments";
    const created = await call("POST", "/v1/webhooks", { url });
    expect(created.status).toBe(201);
    const shown = "amqp://payzero:****@mq.internal:5672/pay?exchange=payments";
    expect(created.body.url).toBe(shown);
    expect(created.raw).not.toContain("s3cr");
    const id = String(created.body.id);
    expect((await call("GET", `/v1/webhooks/${id}`)).body.url).toBe(shown);
    const list = await call("GET", "/v1/webhooks?limit=100");
    expect(list.raw).not.toContain("s3cr");

    // Written back as shown, with another exchange: the password stays.
    const moved = await call("PATCH", `/v1/webhooks/${id}`, {
      url: "amqp://payzero:****@mq.internal:5672/pay?exchange=payments2",
    });
    expect(moved.status).toBe(200);
    expect(await storedUrl(id)).toBe("amqp://payzero:s3cr%40t@mq.internal:5672/pay?exchange=payments2");

    // To another host the mask does not carry the password along.
    const elsewhere = await call("PATCH", `/v1/webhooks/${id}`, {
      url: "amqp://payzero:****@evil.example:5672/pay?exchange=payments2",
    });
    expect(elsewhere.status).toBe(400);
    expect(String(elsewhere.body.message)).toMatch(/give the password/);
    expect(await storedUrl(id)).toBe("amqp://payzero:s3cr%40t@mq.internal:5672/pay?exchange=payments2");
  });

  it("masks a NATS token and an HTTP password too, and refuses a new URL that carries the mask", async () => {
    const nats = await call("POST", "/v1/webhooks", { url: "nats://t0ken@nats.internal?subject=pay" });
    expect(nats.body.url).toBe("nats://****@nats.internal?subject=pay");
    const https = await call("POST", "/v1/webhooks", { url: "https://user:pw@merchant.test/hook" });
    expect(https.body.url).toBe("https://user:****@merchant.test/hook");
    const masked = await call("POST", "/v1/webhooks", { url: "amqp://u:****@mq.internal?exchange=x" });
    expect(masked.status).toBe(400);
  });
});
