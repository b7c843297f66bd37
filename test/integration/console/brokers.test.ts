// A RabbitMQ endpoint in the console: its password never on a page, kept through an edit of the
// form (which shows it masked), and a test event published and shown as the broker confirmed it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openUrl } from "../../../src/webhooks/endpoints/endpoint-sealing.js";
import { createVhost, type TestVhost } from "../../support/brokers.js";
import { testKeyring } from "../../support/harness.js";
import type { Pipeline } from "../../support/pipeline.js";
import { type Browserish, signIn, startConsolePipeline } from "./support.js";

let p: Pipeline;
let b: Browserish;
let vhost: TestVhost;

beforeAll(async () => {
  [p, vhost] = await Promise.all([startConsolePipeline(), createVhost()]);
  b = await signIn(p.app);
});
afterAll(async () => {
  await p?.close();
  await vhost?.drop();
});

describe("a RabbitMQ endpoint", () => {
  it("is shown with its password masked, keeps it through an edit, and takes a test event", async () => {
    const ch = await vhost.connection.createChannel();
    await ch.assertExchange("console", "direct", { durable: true });
    const { queue } = await ch.assertQueue("console.test", { durable: true });
    await ch.bindQueue(queue, "console", "CONSOLE_TEST");
    const url = vhost.url({ exchange: "console" });
    expect(url).toContain(":guest@");

    const created = await b.post("/console/endpoints", { url, description: "" });
    // The answer is the new endpoint's page (its secret shown this once).
    expect(created.statusCode).toBe(200);
    const id = /<dt>ID<\/dt><dd><code>([^<]+)<\/code>/.exec(created.body)?.[1] ?? "";
    const masked = url.replace(":guest@", ":****@");
    const page = await b.get(`/console/endpoints/${id}`);
    expect(page.body).toContain(`value="${masked.replaceAll("&", "&amp;")}"`);
    expect(page.body).not.toContain(":guest@");
    expect((await b.get("/console/endpoints")).body).not.toContain(":guest@");

    // The edit form as the page filled it: the mask stands for the stored password.
    const saved = await b.post(`/console/endpoints/${id}`, { url: masked, description: "queue" });
    expect(saved.statusCode).toBe(303);
    const stored = await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    expect(stored.description).toBe("queue");
    expect(openUrl(testKeyring, id, stored.url)).toBe(url);

    const test = await b.post(`/console/endpoints/${id}/test`, {});
    expect(test.statusCode).toBe(200);
    expect(test.body).toContain("delivered");
    expect(test.body).toContain("confirmed by RabbitMQ");
    const got = await ch.get(queue, { noAck: true });
    expect(got && JSON.parse(got.content.toString("utf8"))).toMatchObject({ type: "CONSOLE_TEST" });
    await ch.close();
  });
});
