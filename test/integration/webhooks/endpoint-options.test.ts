// Issue #15 parts 1 and 2 over /v1 and real deliveries: an endpoint's own headers (sent with every
// attempt, sealed in Postgres, masked in the API) and its payStatus/declareStatus filters.
import type { FastifyInstance } from "fastify";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import {
  auth,
  buildV1,
  type Harness,
  rawEndpointRow,
  storeNotification,
  testKeyring,
  useHarnessAndReceiver,
  waitSettled,
} from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import type { Receiver } from "../../support/receiver.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
let app: FastifyInstance;
beforeAll(async () => {
  ({ h, rx } = shared);
  app = await buildV1(h);
  return () => app.close();
});

type Json = Record<string, unknown>;
async function call(method: "GET" | "POST" | "PATCH", url: string, payload?: Json) {
  const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

const TOKEN = "Bearer erp-token-7f3a9c1d5e8b2046";
const API_KEY = "key-0123456789abcdef-XYZW";

const rawRow = (id: string) => rawEndpointRow(h.db, id);

describe("endpoint headers", () => {
  it("are sent with every attempt, sealed in Postgres and shown masked, never in full", async () => {
    rx.on("/erp", (n) => (n <= 2 ? { status: 503, body: "busy" } : { status: 200 }));
    const created = await call("POST", "/v1/webhooks", {
      url: rx.url("/erp"),
      headers: { Authorization: TOKEN, "x-api-key": API_KEY },
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect(created.body.headers).toEqual([
      { name: "authorization", value: `…${TOKEN.slice(-4)} (${TOKEN.length} characters)` },
      { name: "x-api-key", value: `…${API_KEY.slice(-4)} (${API_KEY.length} characters)` },
    ]);
    for (const answer of [
      created,
      await call("GET", `/v1/webhooks/${id}`),
      await call("GET", "/v1/webhooks"),
    ]) {
      expect(answer.raw).not.toContain(TOKEN);
      expect(answer.raw).not.toContain("erp-token");
      expect(answer.raw).not.toContain(API_KEY.slice(0, 12));
    }

    // At rest: neither the secret nor a header value is readable in the row.
    const raw = await rawRow(id);
    expect(raw.secret).toMatch(/^enc:v2:[0-9a-f]{8}:/);
    expect(raw.headers).toMatch(/^enc:v2:[0-9a-f]{8}:/);
    const whole = JSON.stringify(raw);
    for (const plain of [
      String(created.body.secret).slice(6),
      "erp-token",
      API_KEY,
      "authorization",
      "x-api-key",
    ])
      expect(whole).not.toContain(plain);

    const { fanOut } = h.start();
    await storeNotification(h.db, fanOut, {
      msgType: PAY_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "HDR-1", payStatus: "PAY_SUCCEED" }),
    });
    await waitSettled(h.db);
    const got = rx.received.filter((r) => r.path === "/erp");
    expect(got).toHaveLength(3);
    for (const r of got) {
      expect(r.headers.authorization).toBe(TOKEN);
      expect(r.headers["x-api-key"]).toBe(API_KEY);
      // The endpoint's headers come next to the signature, which still verifies.
      const headers = r.headers as Record<string, string>;
      expect(new Webhook(String(created.body.secret)).verify(r.body, headers)).toMatchObject({
        type: PAY_STATUS_NOTIFY,
      });
    }
  });

  it("are merged by PATCH (null removes one, null for all removes them) and refused when invalid", async () => {
    const created = await call("POST", "/v1/webhooks", {
      url: rx.url("/patch"),
      headers: { authorization: TOKEN, "x-tenant": "shop-1" },
    });
    const id = String(created.body.id);
    const names = (b: Json) => (b.headers as Array<{ name: string }>).map((x) => x.name);

    const patched = await call("PATCH", `/v1/webhooks/${id}`, {
      headers: { "x-tenant": null, "X-Api-Key": API_KEY },
    });
    expect(patched.status).toBe(200);
    expect(names(patched.body)).toEqual(["authorization", "x-api-key"]);
    const stored = await rawRow(id);
    expect(JSON.parse(testKeyring.open(id, "headers", stored.headers!))).toEqual({
      authorization: TOKEN,
      "x-api-key": API_KEY,
    });

    // Other changes leave them alone.
    expect(names((await call("PATCH", `/v1/webhooks/${id}`, { description: "ERP" })).body)).toEqual([
      "authorization",
      "x-api-key",
    ]);

    for (const [headers, message] of [
      [{ "webhook-signature": "v1,forged" }, "webhook-signature is set by the service"],
      [{ "Content-Type": "text/plain" }, "Content-Type is set by the service"],
      [{ "bad name": "x" }, "is not a valid header name"],
      [{ "x-line": "a\r\nx-injected: 1" }, "printable ASCII"],
      [{ "x-a": "1", "X-A": "2" }, "given twice"],
    ] as const) {
      const refused = await call("PATCH", `/v1/webhooks/${id}`, { headers });
      expect(refused.status, JSON.stringify(headers)).toBe(400);
      expect(String(refused.body.message)).toContain(message);
      const post = await call("POST", "/v1/webhooks", { url: rx.url("/never"), headers });
      expect(post.status).toBe(400);
    }
    expect((await rawRow(id)).headers).toBe(stored.headers);

    // 20 at most, counting the ones kept.
    const many = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`x-h${i}`, "v"]));
    const tooMany = await call("PATCH", `/v1/webhooks/${id}`, { headers: many, description: "not saved" });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toBe("headers: at most 20 (this change would make 21)");
    expect((await rawRow(id)).headers).toBe(stored.headers);
    expect((await call("GET", `/v1/webhooks/${id}`)).body.description).toBe("ERP");

    const cleared = await call("PATCH", `/v1/webhooks/${id}`, { headers: null });
    expect(cleared.body.headers).toEqual([]);
    expect((await rawRow(id)).headers).toBeNull();
    expect(await h.db.webhookEndpoint.count({ where: { url: rx.url("/never") } })).toBe(0);
  });
});

describe("status filters", () => {
  const messages = [
    { msgType: PAY_STATUS_NOTIFY, msgBody: orderBody({ mchtOrderNo: "FLT-1", payStatus: "PAY_APPLIED" }) },
    { msgType: PAY_STATUS_NOTIFY, msgBody: orderBody({ mchtOrderNo: "FLT-1", payStatus: "PAY_SUCCEED" }) },
    { msgType: PAY_STATUS_NOTIFY, msgBody: orderBody({ mchtOrderNo: "FLT-2", payStatus: "PAY_FAILED" }) },
    {
      msgType: DECLARE_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "FLT-1", payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" }),
    },
    {
      msgType: DECLARE_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "FLT-3", payStatus: "PAY_SUCCEED", declareStatus: "DECLARE_FAILED" }),
    },
    // No status at all: only endpoints without a status filter take it.
    { msgType: "SOMETHING_NEW", msgBody: "not json" },
  ];
  const statusesAt = (path: string) =>
    rx.received
      .filter((r) => r.path === path)
      .map((r) => {
        const data = (JSON.parse(r.body) as { data: unknown }).data;
        if (typeof data !== "object" || data === null) return `${JSON.parse(r.body).type}`;
        const d = data as { mchtOrderNo: string; payStatus: string; declareStatus: string };
        return `${d.mchtOrderNo} ${d.payStatus} ${d.declareStatus}`;
      })
      .sort();

  it("deliver only messages whose own status is in the list, next to msgTypes; null means any", async () => {
    const create = async (path: string, body: Json) => {
      const res = await call("POST", "/v1/webhooks", { url: rx.url(path), ...body });
      expect(res.status).toBe(201);
      return res.body;
    };
    const paid = await create("/paid", {
      payStatus: ["PAY_SUCCEED", "PAY_FAILED"],
      msgTypes: [PAY_STATUS_NOTIFY],
    });
    expect(paid).toMatchObject({
      payStatus: ["PAY_SUCCEED", "PAY_FAILED"],
      declareStatus: null,
      msgTypes: [PAY_STATUS_NOTIFY],
    });
    await create("/succeeded-any-type", { payStatus: ["PAY_SUCCEED"] });
    await create("/declared", { declareStatus: ["DECLARED", "DECLARE_FAILED"] });
    await create("/both", { payStatus: ["PAY_SUCCEED"], declareStatus: ["DECLARED"] });
    await create("/everything", { payStatus: null, declareStatus: null });

    const { fanOut } = h.start();
    for (const m of messages) await storeNotification(h.db, fanOut, m);
    await waitSettled(h.db);

    expect(statusesAt("/paid")).toEqual(["FLT-1 PAY_SUCCEED NOT_DECLARED", "FLT-2 PAY_FAILED NOT_DECLARED"]);
    // Both message types carry the whole order: a declaration of a paid order has payStatus PAY_SUCCEED.
    expect(statusesAt("/succeeded-any-type")).toEqual([
      "FLT-1 PAY_SUCCEED DECLARED",
      "FLT-1 PAY_SUCCEED NOT_DECLARED",
      "FLT-3 PAY_SUCCEED DECLARE_FAILED",
    ]);
    expect(statusesAt("/declared")).toEqual([
      "FLT-1 PAY_SUCCEED DECLARED",
      "FLT-3 PAY_SUCCEED DECLARE_FAILED",
    ]);
    expect(statusesAt("/both")).toEqual(["FLT-1 PAY_SUCCEED DECLARED"]);
    // No type filter takes Payzero's types only: SOMETHING_NEW (msgType is not signed) goes nowhere here.
    expect(statusesAt("/everything")).toHaveLength(messages.length - 1);
    expect(statusesAt("/everything")).not.toContain("SOMETHING_NEW");
  });

  it("are changed and cleared by PATCH, and refused when empty or not a Payzero status", async () => {
    const created = await call("POST", "/v1/webhooks", { url: rx.url("/f"), declareStatus: ["DECLARED"] });
    const id = String(created.body.id);
    const patched = await call("PATCH", `/v1/webhooks/${id}`, {
      payStatus: ["PAY_SUCCEED"],
      declareStatus: null,
    });
    expect(patched.body).toMatchObject({ payStatus: ["PAY_SUCCEED"], declareStatus: null });
    expect(await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).toMatchObject({
      payStatuses: ["PAY_SUCCEED"],
      declareStatuses: [],
    });
    for (const [body, message] of [
      [{ payStatus: [] }, "payStatus must not be empty: use null for any status"],
      [{ payStatus: ["PAY_SUCCESS"] }, 'payStatus: "PAY_SUCCESS" is not a Payzero status'],
      [{ declareStatus: ["PAY_SUCCEED"] }, 'declareStatus: "PAY_SUCCEED" is not a Payzero status'],
    ] as const) {
      const refused = await call("PATCH", `/v1/webhooks/${id}`, body);
      expect(refused.status).toBe(400);
      expect(refused.body.message).toContain(message);
    }
    expect((await call("GET", `/v1/webhooks/${id}`)).body).toMatchObject({ payStatus: ["PAY_SUCCEED"] });
  });
});
