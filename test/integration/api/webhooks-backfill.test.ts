// Backfill: a new endpoint gets the stored notifications of a range that it subscribes to and has not
// had, through the API, created in batches by a worker and sent oldest first; GET shows the progress.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDatabase } from "../../support/admin.js";
import {
  auth,
  buildV1,
  createEndpoint,
  type Harness,
  useHarnessAndReceiver,
  waitFor,
  waitSettled,
} from "../../support/harness.js";
import type { Receiver } from "../../support/receiver.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
let app: FastifyInstance;
beforeAll(async () => {
  ({ h, rx } = shared);
  // Progress is polled often here: past /v1's per-client rate limit.
  app = await buildV1(h, { v1RateLimitPerMinute: 1_000_000 });
});
afterAll(async () => {
  await app?.close();
});

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";
const COUNT = 3000;
/** received_at of notification i: one a second from here, so their order is the order of i. */
const START = new Date("2026-10-01T00:00:00Z");

/** COUNT stored notifications, every third a DECLARE_STATUS_NOTIFY; returns their ids by i. */
async function storeHistory(): Promise<void> {
  await queryDatabase(
    h.config.databaseUrl,
    `INSERT INTO notifications (content_key, msg_type, timestamp, msg_body, received_at)
     SELECT lpad(to_hex(i), 64, '0'), CASE WHEN i % 3 = 0 THEN '${DECLARE}' ELSE '${PAY}' END, 1554990000000 + i,
            '{"i":' || i || '}', '${START.toISOString()}'::timestamptz + make_interval(secs => i)
       FROM generate_series(1, ${COUNT}) AS i`,
  );
}

const get = async (id: string) => {
  const res = await app.inject({ url: `/v1/webhooks/${id}/backfill`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Array<{
    id: string;
    status: string;
    scanned: number;
    created: number;
    deliveries: { pending: number; succeeded: number; failed: number };
  }>;
};
const post = (id: string, body: unknown) =>
  app.inject({ method: "POST", url: `/v1/webhooks/${id}/backfill`, headers: auth, payload: body as object });

describe("a backfill", () => {
  it("sends a new endpoint every subscribed message of the range it has not had, once, oldest first", async () => {
    await storeHistory();
    rx.on("/new", () => ({ status: 200 }));
    const endpoint = await createEndpoint(h.db, { url: rx.url("/new"), msgTypes: [PAY] });
    // Messages 1–30 it already had (an earlier delivery, say a replay): not sent again.
    await queryDatabase(
      h.config.databaseUrl,
      `INSERT INTO deliveries (notification_id, endpoint_id, status, attempt_count, succeeded_at)
       SELECT id, '${endpoint.id}', 'succeeded', 1, now() FROM notifications WHERE timestamp - 1554990000000 <= 30`,
    );
    // The range leaves out the last 100 messages.
    const until = new Date(START.getTime() + (COUNT - 100 + 0.5) * 1000);
    const started = await post(endpoint.id, { since: START.toISOString(), until: until.toISOString() });
    expect(started.statusCode, started.body).toBe(202);
    const backfill = started.json();
    expect(backfill).toMatchObject({ webhookId: endpoint.id, status: "running", created: 0 });
    expect((await get(endpoint.id))[0]).toMatchObject({ id: backfill.id, status: "running" });

    h.start({ webhookBackfillBatch: 200, webhookEndpointConcurrency: 1, webhookConcurrency: 4 });
    // Progress while it runs: read, created and succeeded grow.
    const seen = new Set<string>();
    const done = await waitFor(
      "the backfill to finish",
      async () => {
        const [b] = await get(endpoint.id);
        seen.add(`${b!.status}:${b!.deliveries.succeeded === b!.created}`);
        return b!.status === "done" && b!.deliveries.pending === 0 ? b : undefined;
      },
      180_000,
    );
    await waitSettled(h.db, 60_000);
    // In range 1..2900, PAY only (i % 3 != 0), not 1..30.
    const expected: number[] = [];
    for (let i = 31; i <= COUNT - 100; i++) if (i % 3 !== 0) expected.push(i);
    expect(done).toMatchObject({
      status: "done",
      scanned: COUNT - 100,
      created: expected.length,
      deliveries: { pending: 0, succeeded: expected.length, failed: 0 },
    });
    expect(seen.has("running:false")).toBe(true);

    const received = rx.received.filter((r) => r.path === "/new");
    const order = received.map((r) => (JSON.parse(r.body) as { data: { i: number } }).data.i);
    expect([...order].sort((a, b) => a - b)).toEqual(expected);
    // Oldest first (a hold lapsing on a loaded machine may let a few swap places).
    const outOfOrder = order.filter((i, k) => k > 0 && i < order[k - 1]!).length;
    expect(outOfOrder).toBeLessThanOrEqual(expected.length / 100);
    // The webhook-id is the message's, as in any other delivery of it.
    for (const r of received.slice(0, 50)) {
      const i = (JSON.parse(r.body) as { data: { i: number } }).data.i;
      expect(r.headers["webhook-id"]).toBe(`msg_${i.toString(16).padStart(64, "0")}`);
    }

    // The same range again: nothing new.
    const again = await post(endpoint.id, { since: START.toISOString(), until: until.toISOString() });
    expect(again.statusCode, again.body).toBe(202);
    const second = await waitFor("the second backfill", async () => {
      const [b] = await get(endpoint.id);
      return b!.id === again.json().id && b!.status === "done" ? b : undefined;
    });
    expect(second).toMatchObject({ scanned: COUNT - 100, created: 0 });
    expect(rx.received.filter((r) => r.path === "/new")).toHaveLength(expected.length);
    expect(await h.db.delivery.count({ where: { endpointId: endpoint.id } })).toBe(expected.length + 30);
  }, 300_000);

  it("applies the endpoint's status filters as the fan-out does, and skips bodies retention removed", async () => {
    // Twelve messages of September: statuses by i % 4, one body not JSON, one removed by retention.
    const at = "2026-09-01T00:00:00Z";
    await queryDatabase(
      h.config.databaseUrl,
      `INSERT INTO notifications (content_key, msg_type, timestamp, msg_body, received_at, pruned_at)
       SELECT rpad(to_hex(i), 64, 'f'), '${PAY}', 1554990000000 + i,
              CASE WHEN i = 4 THEN NULL WHEN i = 6 THEN 'not json'
                   ELSE '{"i":' || i || ',"payStatus":"' || (ARRAY['PAY_SUCCEED','PAY_FAILED','PAY_APPLIED','PAY_SUCCEED'])[i % 4 + 1] || '"}' END,
              '${at}'::timestamptz + make_interval(secs => i), CASE WHEN i = 4 THEN now() END
         FROM generate_series(1, 12) AS i`,
    );
    rx.on("/final", () => ({ status: 200 }));
    const endpoint = await createEndpoint(h.db, { url: rx.url("/final"), payStatuses: ["PAY_SUCCEED"] });
    const started = await post(endpoint.id, { since: at, until: "2026-09-02T00:00:00Z" });
    expect(started.statusCode, started.body).toBe(202);
    h.start({ webhookBackfillBatch: 5 });
    const done = await waitFor("the filtered backfill", async () => {
      const [b] = await get(endpoint.id);
      return b!.status === "done" && b!.deliveries.pending === 0 ? b : undefined;
    });
    await h.stopWorkers();
    // PAY_SUCCEED where i % 4 is 0 or 3: 3, 7, 8, 11, 12; not 4 (body removed) nor 6 (no status).
    const sent = rx.received
      .filter((r) => r.path === "/final")
      .map((r) => (JSON.parse(r.body) as { data: { i: number } }).data.i)
      .sort((a, b) => a - b);
    expect(sent).toEqual([3, 7, 8, 11, 12]);
    expect(done).toMatchObject({ scanned: 12, created: 5 });
  }, 120_000);

  it("refuses bad input with a clear 400/404/409 and changes nothing", async () => {
    const endpoint = await createEndpoint(h.db, { url: rx.url("/refused") });
    const off = await createEndpoint(h.db, { url: rx.url("/off"), enabled: false });
    const cases: Array<[string, unknown, number, string]> = [
      [endpoint.id, { since: "yesterday at noon" }, 400, "since must be an ISO 8601 time"],
      [
        endpoint.id,
        { since: "2026-10-02T00:00:00Z", until: "2026-10-01T00:00:00Z" },
        400,
        "until must be after since",
      ],
      [endpoint.id, { since: "2026-10-01T00:00:00Z", extra: 1 }, 400, ""],
      ["no-such", { since: "2026-10-01T00:00:00Z" }, 404, "no such webhook"],
      [off.id, { since: "2026-10-01T00:00:00Z" }, 409, "disabled"],
    ];
    for (const [id, body, status, message] of cases) {
      const res = await post(id, body);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().message).toContain(message);
    }
    expect(await h.db.webhookBackfill.count({ where: { endpointId: { in: [endpoint.id, off.id] } } })).toBe(
      0,
    );
    // One at a time per endpoint.
    expect((await post(endpoint.id, { since: "2026-10-01T00:00:00Z" })).statusCode).toBe(202);
    const twice = await post(endpoint.id, { since: "2026-10-01T00:00:00Z" });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().message).toContain("still running");
  });
});
