// /metrics moves with notifications; /openapi.json documents every route; /docs serves the UI,
// both behind the admin token unless API_DOCS says otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config.js";
import { watchQueue } from "../../../src/ops/metrics.js";
import { buildApp } from "../../../src/server.js";
import { TEST_ADMIN_TOKEN, testConfig } from "../../support/config.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
let unwatch: () => void;
beforeAll(async () => {
  p = await startPipeline();
  unwatch = watchQueue(p.queue);
  p.startWorker();
});
afterAll(async () => {
  unwatch();
  await p.close();
});

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = (await p.app.inject({ url: "/metrics" })).body;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.split(" ").pop());
  }
  return 0;
}

describe("/metrics", () => {
  it("serves Prometheus text with process metrics", async () => {
    const res = await p.app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/process_cpu_user_seconds_total/);
  });

  it("counts notifications by type and outcome, and what the workers did with them", async () => {
    const pay = { msg_type: "PAY_STATUS_NOTIFY" };
    const before = {
      accepted: await metric("pzn_notifications_received_total", { ...pay, outcome: "accepted" }),
      duplicate: await metric("pzn_notifications_received_total", { ...pay, outcome: "duplicate" }),
      badSign: await metric("pzn_notifications_received_total", { ...pay, outcome: "bad_sign" }),
      badRequest: await metric("pzn_notifications_received_total", {
        msg_type: "other",
        outcome: "bad_request",
      }),
      changed: await metric("pzn_notifications_processed_total", { ...pay, result: "changed" }),
      succeeded: await metric("pzn_order_status_changes_total", { pay_status: "PAY_SUCCEED" }),
    };
    const env = signedEnvelope(
      "PAY_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: "M-1", payStatus: "PAY_SUCCEED" }),
    );
    // Two copies at once: the receiver counts a duplicate only for a copy arriving while the first is
    // being queued (src/ingest/enqueue.ts); a copy coming later is a duplicate to the worker (Postgres).
    await Promise.all(
      [1, 2].map(() => p.app.inject({ method: "POST", url: "/payzero/notify", payload: env })),
    );
    await p.app.inject({ method: "POST", url: "/payzero/notify", payload: { ...env, sign: "0".repeat(40) } });
    await p.app.inject({ method: "POST", url: "/payzero/notify", payload: "{}" });
    await p.drained();
    expect(await metric("pzn_notifications_received_total", { ...pay, outcome: "accepted" })).toBe(
      before.accepted + 1,
    );
    expect(await metric("pzn_notifications_received_total", { ...pay, outcome: "duplicate" })).toBe(
      before.duplicate + 1,
    );
    expect(await metric("pzn_notifications_received_total", { ...pay, outcome: "bad_sign" })).toBe(
      before.badSign + 1,
    );
    expect(
      await metric("pzn_notifications_received_total", { msg_type: "other", outcome: "bad_request" }),
    ).toBe(before.badRequest + 1);
    expect(await metric("pzn_notifications_processed_total", { ...pay, result: "changed" })).toBe(
      before.changed + 1,
    );
    expect(await metric("pzn_order_status_changes_total", { pay_status: "PAY_SUCCEED" })).toBe(
      before.succeeded + 1,
    );
    expect(await metric("pzn_notification_receive_seconds_count", { status: "200" })).toBeGreaterThanOrEqual(
      2,
    );
    expect(await metric("pzn_queue_jobs", { queue: "payzero-notifications", state: "waiting" })).toBe(0);
  });

  it("does not turn an attacker's msgType into a label", async () => {
    const other = { msg_type: "other", outcome: "bad_sign" };
    const before = await metric("pzn_notifications_received_total", other);
    const env = signedEnvelope("EVIL_TYPE_123", "{}");
    const res = await p.app.inject({
      method: "POST",
      url: "/payzero/notify",
      payload: { ...env, sign: "1".repeat(40) },
    });
    expect(res.statusCode).toBe(401);
    const text = (await p.app.inject({ url: "/metrics" })).body;
    expect(text).not.toMatch(/EVIL_TYPE_123/);
    // Counted all the same, under "other".
    expect(await metric("pzn_notifications_received_total", other)).toBe(before + 1);
  });
});

describe("OpenAPI", () => {
  it("documents every route with its schemas and the bearer scheme", async () => {
    const res = await p.app.inject({ url: "/openapi.json", headers: auth });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: "http", scheme: "bearer" });
    for (const path of [
      "/payzero/notify",
      "/healthz",
      "/readyz",
      "/metrics",
      "/v1/orders",
      "/v1/notifications",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths["/v1/orders/{mchtOrderNo}"].get.security).toEqual([{ bearerAuth: ["read"] }]);
    expect(doc.paths["/v1/orders/expected"].post.security).toEqual([{ bearerAuth: ["orders:expect"] }]);
    expect(doc.paths["/v1/tokens"].post.description).toContain("Scope: `admin`.");
    expect(doc.paths["/payzero/notify"].post.requestBody.content["application/json"].schema.required).toEqual(
      expect.arrayContaining(["timestamp", "msgType", "msgBody", "sign"]),
    );
    for (const [path, methods] of Object.entries(
      doc.paths as Record<string, Record<string, { description?: string }>>,
    )) {
      for (const [method, op] of Object.entries(methods))
        expect(op.description, `${method} ${path}`).toBeTruthy();
    }
  });

  it("serves the browsable docs", async () => {
    const res = await p.app.inject({ url: "/docs/", headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/swagger/i);
  });

  it("hides the route list from callers without the admin token", async () => {
    for (const url of ["/openapi.json", "/docs/", "/docs/json", "/docs/static/index.html"]) {
      for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }]) {
        const res = await p.app.inject({ url, headers });
        expect(res.statusCode, url).toBe(401);
        expect(res.body, url).not.toMatch(/\/v1\/orders/);
      }
    }
  });

  it.each([
    ["public", 200],
    ["off", 404],
  ] as const)("with API_DOCS=%s answers %i without a token", async (apiDocs, status) => {
    const config: Config = { ...testConfig(), apiDocs };
    const app = await buildApp({ config, probes: {} });
    try {
      for (const url of ["/openapi.json", "/docs/", "/docs/json"]) {
        expect((await app.inject({ url })).statusCode, url).toBe(status);
      }
    } finally {
      await app.close();
    }
  });
});

const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
