// Deliveries and endpoints steered from the console, over the real pipeline and a real HTTP receiver.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyringOf } from "../../../src/crypto/keyring.js";
import { openEndpoint } from "../../../src/webhooks/endpoints/endpoint-sealing.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import type { Pipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { type Browserish, signIn, startConsolePipeline } from "./support.js";

let p: Pipeline;
let receiver: Receiver;
let b: Browserish;
let erpUp = false;

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const location = (res: { headers: Record<string, unknown> }) => String(res.headers.location);

beforeAll(async () => {
  p = await startConsolePipeline();
  receiver = await startReceiver();
  receiver.on("/erp", () => (erpUp ? { status: 200, body: "thanks" } : { status: 503, body: "maintenance" }));
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  b = await signIn(p.app);
});
afterAll(async () => {
  await p.close();
  await receiver.close();
});

describe("endpoints", () => {
  let id = "";

  it("are added from the form, with the problem shown for a bad URL", async () => {
    const bad = await b.post("/console/endpoints", { url: "ftp://erp", description: "ERP" });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("url must be http or https");
    expect(bad.body).toContain('value="ftp://erp"');
    const res = await b.post("/console/endpoints", { url: receiver.url("/erp"), description: "ERP" });
    expect(res.statusCode).toBe(200);
    id = /<dt>ID<\/dt><dd><code>([^<]+)<\/code>/.exec(res.body)?.[1] ?? "";
    const row = await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ url: receiver.url("/erp"), description: "ERP", msgTypes: [], enabled: true });
    // The answer to the addition is the one page that shows the secret.
    const secret = keyringOf(p.config).open(id, "secret", row.secret);
    expect(secret).toMatch(/^whsec_/);
    expect(res.body).toContain(secret);
  });

  it("never show the secret in a page a GET brings back, and have no way to reveal it later", async () => {
    const sealed = await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    const secret = keyringOf(p.config).open(id, "secret", sealed.secret);
    for (const url of [
      `/console/endpoints/${id}`,
      "/console/endpoints",
      `/console/endpoints/${id}?notice=created`,
    ])
      expect((await b.get(url)).body).not.toContain(secret);
    expect((await b.post(`/console/endpoints/${id}/secret`, {})).statusCode).toBe(404);
    // Nor in the answer to another action.
    expect((await b.post(`/console/endpoints/${id}/test`, {})).body).not.toContain(secret);
  });

  it("are edited, disabled and enabled", async () => {
    const saved = await b.post(`/console/endpoints/${id}`, {
      url: receiver.url("/erp"),
      description: "ERP (declarations)",
      msgTypes: "DECLARE_STATUS_NOTIFY",
    });
    expect(saved.statusCode, saved.body).toBe(303);
    expect(await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).toMatchObject({
      description: "ERP (declarations)",
      msgTypes: ["DECLARE_STATUS_NOTIFY"],
    });
    await b.post(`/console/endpoints/${id}/enabled`, { enabled: "false" });
    expect((await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).enabled).toBe(false);
    await b.post(`/console/endpoints/${id}/enabled`, { enabled: "true" });
    // The ordering box: ticked, per-order; a value the form does not offer is refused; unticked, none.
    await b.post(`/console/endpoints/${id}`, { url: receiver.url("/erp"), ordering: "per-order" });
    expect((await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).ordering).toBe("per-order");
    expect((await b.get(`/console/endpoints/${id}`)).body).toContain("per order: one delivery");
    const odd = await b.post(`/console/endpoints/${id}`, { url: receiver.url("/erp"), ordering: "fifo" });
    expect(odd.statusCode).toBe(400);
    expect(odd.body).toContain("ordering");
    await b.post(`/console/endpoints/${id}`, { url: receiver.url("/erp"), description: "ERP" });
    expect(await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).toMatchObject({
      enabled: true,
      msgTypes: [],
      ordering: "none",
    });
  });

  it("show the status filters and the header names, never a header value", async () => {
    const token = "Bearer console-token-5b7e1c9d3a";
    const patched = await p.app.inject({
      method: "PATCH",
      url: `/v1/webhooks/${id}`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { payStatus: ["PAY_SUCCEED"], declareStatus: ["DECLARED"], headers: { "x-api-key": token } },
    });
    expect(patched.statusCode).toBe(200);
    for (const page of [
      (await b.get(`/console/endpoints/${id}`)).body,
      (await b.get("/console/endpoints")).body,
    ]) {
      expect(page).toContain("only messages with payStatus PAY_SUCCEED and declareStatus DECLARED");
      expect(page).not.toContain("console-token");
    }
    const one = (await b.get(`/console/endpoints/${id}`)).body;
    expect(one).toContain("<code>x-api-key</code>");
    expect(one).toContain(`…${token.slice(-4)} (${token.length} characters)`);
    await p.app.inject({
      method: "PATCH",
      url: `/v1/webhooks/${id}`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { payStatus: null, declareStatus: null, headers: null },
    });
    expect((await b.get(`/console/endpoints/${id}`)).body).toContain("any status");
  });

  it("rotate their secret with the overlap asked for", async () => {
    const opened = async () => {
      const row = await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
      return { ...row, ...openEndpoint(keyringOf(p.config), row) };
    };
    const before = await opened();
    const res = await b.post(`/console/endpoints/${id}/rotate`, { overlapHours: "2" });
    expect(res.statusCode).toBe(200);
    const after = await opened();
    // The new secret in the rotation's answer, once; the old one not at all.
    expect(res.body).toContain(after.secret);
    expect(res.body).not.toContain(before.secret);
    expect((await b.get(`/console/endpoints/${id}`)).body).not.toContain(after.secret);
    expect(after.secret).not.toBe(before.secret);
    expect(after.previousSecret).toBe(before.secret);
    const overlapMs = after.previousSecretExpiresAt!.getTime() - after.updatedAt.getTime();
    expect(Math.round(overlapMs / 3600_000)).toBe(2);
    expect(res.body).toContain("still signs deliveries until");
  });

  it("get a signed test event and show its attempt", async () => {
    const sealed = await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    const row = openEndpoint(keyringOf(p.config), sealed);
    const res = await b.post(`/console/endpoints/${id}/test`, {});
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("HTTP 503");
    expect(res.body).toContain("maintenance");
    const sent = receiver.received.at(-1)!;
    const body = new Webhook(row.secret).verify(sent.body, sent.headers as Record<string, string>);
    expect(body).toMatchObject({ type: "CONSOLE_TEST" });
    expect(await p.db.delivery.count()).toBe(0);
  });

  it("retry their failed deliveries, one or all, and the retries succeed", async () => {
    for (const n of [1, 2, 3]) {
      const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `RT-${n}` }), 1000 + n);
      expect((await p.app.inject({ method: "POST", url: "/payzero/notify", payload: env })).body).toBe("OK");
    }
    await until(async () => (await p.db.delivery.count({ where: { status: "failed" } })) === 3, "3 failed");
    const list = await b.get("/console/deliveries?status=failed");
    expect(list.body).toContain("Retry all 3 failed deliveries of this endpoint");
    expect(list.body.match(/>Retry delivery \d+<\/button>/g)).toHaveLength(3);

    erpUp = true;
    const one = await p.db.delivery.findFirstOrThrow({ where: { notification: { mchtOrderNo: "RT-1" } } });
    const back = "/console/orders/RT-1";
    const res = await b.post(`/console/deliveries/${one.id}/retry`, { back });
    expect(res.statusCode).toBe(303);
    expect(location(res)).toBe(`${back}?notice=retried`);
    await until(
      async () => (await p.db.delivery.findUniqueOrThrow({ where: { id: one.id } })).status === "succeeded",
      "the retried delivery",
    );
    expect(await p.db.delivery.count({ where: { status: "failed" } })).toBe(2);

    const again = await b.post(`/console/deliveries/${one.id}/retry`, { back });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain("only failed deliveries are retried");

    const all = await b.post(`/console/endpoints/${id}/retry-failed`, { back: "/console/deliveries" });
    expect(location(all)).toBe("/console/deliveries?notice=retried-all");
    await until(
      async () => (await p.db.delivery.count({ where: { status: "succeeded" } })) === 3,
      "all retried",
    );
    const order = await b.get("/console/orders/RT-1");
    expect(order.body).toContain("HTTP 200");
    expect(order.body).toContain("thanks");
  });

  it("refuse a retry whose back link leads elsewhere: it returns to the console", async () => {
    const res = await b.post("/console/deliveries/999999/retry", { back: "https://evil.example/" });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('href="/console"');
  });
});

describe("an endpoint moved to another host in the edit form", () => {
  it("loses its headers, and the page says so", async () => {
    const created = await p.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: p.authorized,
      payload: { url: receiver.url("/moved"), headers: { authorization: "Bearer moved-token-0123456789" } },
    });
    const id = String(created.json().id);
    const saved = await b.post(`/console/endpoints/${id}`, { url: "https://elsewhere.test/erp" });
    expect(saved.statusCode).toBe(303);
    expect(location(saved)).toMatch(/\?notice=saved-headers-dropped$/);
    expect((await b.get(location(saved))).body).toContain("its stored headers were removed");
    expect((await p.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).headers).toBeNull();
  });
});

describe("the order page's actions", () => {
  it("announce the retries the state allows, refuse the others, and say Payzero cannot be asked without its API", async () => {
    const no = "CON-RETRY";
    const res = await p.app.inject({
      method: "POST",
      url: "/payzero/notify",
      payload: signedEnvelope(
        "PAY_STATUS_NOTIFY",
        orderBody({ mchtOrderNo: no, payStatus: "PAY_FAILED" }),
        Date.now(),
      ),
    });
    expect(res.body).toBe("OK");
    await p.drained();
    const page = await b.get(`/console/orders/${no}`);
    expect(page.body).toContain("Announce a new payment");
    expect(page.body).not.toContain("Announce a re-declaration");
    expect(page.body).toContain("Asking Payzero needs PAYZERO_API_URL");

    const announced = await b.post(`/console/orders/${no}/retries`, { kind: "pay" });
    expect(announced.statusCode).toBe(303);
    expect(location(announced)).toBe(`/console/orders/${no}?notice=retry-announced`);
    expect((await b.get(location(announced))).body).toContain("A pay retry was announced");
    expect(await p.db.orderRetry.count({ where: { mchtOrderNo: no, consumedAt: null } })).toBe(1);

    const refused = await b.post(`/console/orders/${no}/retries`, { kind: "declare" });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain("section 8.1 declares paid orders only");
    const notAsked = await b.post(`/console/orders/${no}/query`, {});
    expect(notAsked.statusCode).toBe(503);
    expect(notAsked.body).toContain("query API is not configured");
  });
});
