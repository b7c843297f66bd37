// /v1/deliveries: the list and its filters, one delivery, a manual retry, and an endpoint's retry-failed.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auth,
  buildV1,
  createEndpoint,
  createHarness,
  type Harness,
  storeNotification,
} from "../../support/harness.js";

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
async function call(method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: Json) {
  const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  const body = (res.body === "" ? {} : res.json()) as Json;
  return { status: res.statusCode, body, raw: res.body };
}

describe("/v1/deliveries", () => {
  let batch = 0;
  async function failedDeliveries(n: number) {
    batch++;
    const ep = await createEndpoint(h.db, { url: "http://127.0.0.1:9/unused" });
    const other = await createEndpoint(h.db, { url: "http://127.0.0.1:9/other" });
    const workers = h.start({ webhookPollIntervalMs: 600_000 });
    const ids: bigint[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const spec = { msgType: "PAY_STATUS_NOTIFY", msgBody: `{"batch":${batch},"i":${i}}` };
        ids.push(...(await storeNotification(h.db, workers.fanOut, spec, false)).deliveryIds);
      }
    } finally {
      await h.stopWorkers();
    }
    await h.db.delivery.updateMany({
      where: { endpointId: ep.id },
      data: { status: "failed", attemptCount: 4 },
    });
    return { ep, other, ids };
  }

  it("lists deliveries newest first with status, attempts and filters", async () => {
    await h.db.webhookEndpoint.deleteMany();
    const { ep, other } = await failedDeliveries(3);
    const rows = await h.db.delivery.findMany({ where: { endpointId: ep.id }, orderBy: { id: "asc" } });
    await h.db.deliveryAttempt.create({
      data: {
        deliveryId: rows[0]!.id,
        attemptedAt: new Date(),
        durationMs: 12,
        statusCode: 500,
        error: "HTTP 500",
      },
    });

    const failed = await call("GET", `/v1/deliveries?status=failed&webhookId=${ep.id}&limit=2`);
    expect(failed.status).toBe(200);
    const items = failed.body.items as Json[];
    expect(items.map((i) => i.id)).toEqual([String(rows[2]!.id), String(rows[1]!.id)]);
    expect(items[0]).toMatchObject({
      webhookId: ep.id,
      status: "failed",
      attemptCount: 4,
      msgType: "PAY_STATUS_NOTIFY",
      attempts: [],
    });
    expect(items[0]?.messageId).toMatch(/^msg_[0-9a-f]{64}$/);
    const next = await call(
      "GET",
      `/v1/deliveries?status=failed&webhookId=${ep.id}&limit=2&cursor=${failed.body.nextCursor}`,
    );
    const last = (next.body.items as Json[])[0];
    expect(last).toMatchObject({
      id: String(rows[0]!.id),
      attempts: [{ statusCode: 500, error: "HTTP 500", durationMs: 12 }],
    });
    expect(next.body.nextCursor).toBeNull();

    const pending = await call("GET", `/v1/deliveries?status=pending`);
    expect(
      (pending.body.items as Json[]).every((i) => i.webhookId === other.id && i.status === "pending"),
    ).toBe(true);
    expect(pending.body.items).toHaveLength(3);

    // "1.5" is no integer: refused, not cut to 1; "" is no number.
    for (const q of [
      "limit=0",
      "limit=101",
      "limit=1.5",
      "limit=",
      "status=lost",
      "cursor=bm9wZQ",
      "statuss=failed",
    ]) {
      expect((await call("GET", `/v1/deliveries?${q}`)).status).toBe(400);
    }
    expect((await call("GET", `/v1/deliveries/${rows[0]!.id}`)).body.id).toBe(String(rows[0]!.id));
    expect((await call("GET", "/v1/deliveries/999999999")).status).toBe(404);
  });

  it("retries one failed delivery now: pending again, due now, for one attempt", async () => {
    await h.db.webhookEndpoint.deleteMany();
    const { ids, other } = await failedDeliveries(1);
    const failedId = (await h.db.delivery.findFirstOrThrow({ where: { status: "failed" } })).id;
    const res = await call("POST", `/v1/deliveries/${failedId}/retry`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: String(failedId),
      status: "pending",
      attemptCount: 4,
      lastError: null,
    });
    const row = await h.db.delivery.findUniqueOrThrow({ where: { id: failedId } });
    expect(row.manualRetry).toBe(true);
    expect(row.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now());

    expect((await call("POST", `/v1/deliveries/${failedId}/retry`)).status).toBe(409);
    const pendingId = ids.find((id) => id !== failedId)!;
    expect((await h.db.delivery.findUniqueOrThrow({ where: { id: pendingId } })).endpointId).toBe(other.id);
    expect((await call("POST", `/v1/deliveries/${pendingId}/retry`)).status).toBe(409);
    expect((await call("POST", "/v1/deliveries/999999999/retry")).status).toBe(404);
    expect((await call("POST", "/v1/deliveries/abc/retry")).status).toBe(400);
    // A bigserial has 19 digits at most: every id it can hold is looked up, one past it is none.
    for (const id of ["9223372036854775807", "9223372036854775808"]) {
      expect(await call("GET", `/v1/deliveries/${id}`)).toMatchObject({
        status: 404,
        body: { message: "no such delivery" },
      });
      expect((await call("POST", `/v1/deliveries/${id}/retry`)).status).toBe(404);
    }
    expect((await call("GET", "/v1/deliveries/12345678901234567890")).status).toBe(400);
  });

  it("retries every failed delivery of an endpoint, and refuses while it is disabled", async () => {
    await h.db.webhookEndpoint.deleteMany();
    const { ep } = await failedDeliveries(3);
    await h.db.webhookEndpoint.update({ where: { id: ep.id }, data: { enabled: false } });
    expect((await call("POST", `/v1/webhooks/${ep.id}/retry-failed`)).status).toBe(409);
    await h.db.webhookEndpoint.update({ where: { id: ep.id }, data: { enabled: true } });

    const res = await call("POST", `/v1/webhooks/${ep.id}/retry-failed`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ retried: 3 });
    expect(await h.db.delivery.count({ where: { endpointId: ep.id, status: "pending" } })).toBe(3);
    expect((await call("POST", `/v1/webhooks/${ep.id}/retry-failed`)).body).toEqual({ retried: 0 });
    expect((await call("POST", "/v1/webhooks/ep_missing/retry-failed")).status).toBe(404);
  });
});
