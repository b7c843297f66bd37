// Database destinations, one guarantee at a time: the version guard, the inbox, events that are no
// order's, a table that does not fit (refused at save, and at send), the address rule at connect
// time, and the URL's password sealed at rest (the end-to-end run: database-destinations.test.ts).
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destinationPolicy } from "../../../src/webhooks/endpoints/address-rule.js";
import { openUrl } from "../../../src/webhooks/endpoints/endpoint-sealing.js";
import { createDestinations, type Destinations } from "../../../src/webhooks/transports/destination.js";
import {
  auth,
  buildV1,
  createHarness,
  type Harness,
  sealedWith,
  testKeyring,
} from "../../support/harness.js";
import {
  createMysqlMerchant,
  createPostgresMerchant,
  type MerchantDatabase,
} from "../../support/merchant-db.js";

let h: Harness;
let app: FastifyInstance;
let destinations: Destinations;
const merchants: Record<string, MerchantDatabase> = {};

beforeAll(async () => {
  [h, merchants.postgres, merchants.mysql] = await Promise.all([
    createHarness(),
    createPostgresMerchant(),
    createMysqlMerchant(),
  ]);
  app = await buildV1(h);
  destinations = createDestinations();
});
afterAll(async () => {
  await destinations?.close();
  await app?.close();
  await h?.close();
  for (const m of Object.values(merchants)) await m.drop();
});

let serial = 0;
/** A signed-message stand-in: the transports read the webhook-id header and the body. */
function event(type: string, order: Record<string, unknown> | null) {
  serial += 1;
  const id = `msg_check_${serial}`;
  const body = JSON.stringify({ id, type, timestamp: Date.now(), source: "test", data: {}, order });
  return { id, message: { body, headers: { "webhook-id": id }, type } };
}

function order(mchtOrderNo: string, version: number, payStatus: string) {
  return {
    mchtOrderNo,
    payStatus,
    payStatusAt: 1_700_000_000_000 + version,
    declareStatus: "NOT_DECLARED",
    declareStatusAt: null,
    declareFailReason: null,
    paymentAmount: 35302,
    paymentOrderNo: "111906650000561884",
    payerName: "周Xx",
    payerNumber: "610327198509271234",
    payerPhone: "13800138000",
    version,
    updatedAt: new Date(1_700_000_000_000 + version * 1000).toISOString(),
  };
}

describe.each(["postgres", "mysql"])("%s destination", (kind) => {
  const m = () => merchants[kind] as MerchantDatabase;

  it("keeps the newer state when an older event arrives after it; a webhook-id seen before changes nothing", async () => {
    const url = m().url("guarded");
    const newer = event("PAY_STATUS_NOTIFY", order("V-1", 2, "PAY_SUCCEED"));
    const older = event("PAY_STATUS_NOTIFY", order("V-1", 1, "PAY_APPLIED"));
    const first = await destinations.send(url, newer.message, 5000);
    expect(first).toMatchObject({ ok: true, responseExcerpt: expect.stringContaining("version 2") });
    const late = await destinations.send(url, older.message, 5000);
    expect(late).toMatchObject({ ok: true, responseExcerpt: expect.stringContaining("row unchanged") });
    const again = await destinations.send(url, older.message, 5000);
    expect(again).toMatchObject({ ok: true, responseExcerpt: expect.stringContaining("already in") });

    const rows = await m().query("SELECT mcht_order_no, pay_status, version, payer_name FROM guarded");
    expect(rows.map((r) => ({ ...r, version: Number(r.version) }))).toEqual([
      // personalData not asked for: no payer fields.
      { mcht_order_no: "V-1", pay_status: "PAY_SUCCEED", version: 2, payer_name: null },
    ]);
    const inbox = await m().query("SELECT webhook_id FROM guarded_events ORDER BY webhook_id");
    expect(inbox.map((r) => r.webhook_id).sort()).toEqual([newer.id, older.id].sort());
  });

  it("puts an event that is not an order's (a refund, a test event) in the inbox only", async () => {
    const url = m().url("refunds");
    const refund = event("REFUND_STATUS_NOTIFY", null);
    expect(await destinations.send(url, refund.message, 5000)).toMatchObject({
      ok: true,
      responseExcerpt: expect.stringContaining("not an order event"),
    });
    expect(await m().query("SELECT * FROM refunds")).toEqual([]);
    const inbox = await m().query("SELECT webhook_id, type FROM refunds_events");
    expect(inbox).toEqual([{ webhook_id: refund.id, type: "REFUND_STATUS_NOTIFY" }]);
  });

  it("refuses at save a table whose columns do not fit, with the reason, and saves nothing", async () => {
    const text = kind === "postgres" ? "text" : "varchar(64)";
    await m().query(
      `CREATE TABLE misfit (mcht_order_no ${text} PRIMARY KEY, pay_status ${text}, version ${text} NOT NULL)`,
    );
    const before = await h.db.webhookEndpoint.count();
    const res = await app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: auth,
      payload: { url: m().url("misfit") },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/table misfit has no column pay_status_at/);
    expect(await h.db.webhookEndpoint.count()).toBe(before);
  });

  it("fails a send, saying why, once the table stops fitting", async () => {
    const url = m().url("altered");
    expect(
      await destinations.send(url, event("PAY_STATUS_NOTIFY", order("A-1", 1, "PAY_SUCCEED")).message, 5000),
    ).toMatchObject({ ok: true });
    await m().query("ALTER TABLE altered DROP COLUMN payment_order_no");
    // The first send after the change fails on the column; the next one names the misfit.
    const sends = [];
    for (let v = 2; v <= 3; v++)
      sends.push(
        await destinations.send(
          url,
          event("PAY_STATUS_NOTIFY", order("A-1", v, "PAY_SUCCEED")).message,
          5000,
        ),
      );
    expect(sends.every((s) => !s.ok)).toBe(true);
    expect(sends[1]?.error).toMatch(/table altered has no column payment_order_no/);
  });

  it("holds the connection to the address rule: loopback refused, by address and by name", async () => {
    const strict = createDestinations(undefined, destinationPolicy({ port: 1, webhookAllowAddresses: [] }));
    try {
      for (const host of ["127.0.0.1", "localhost"]) {
        const url = new URL(m().url("refused"));
        url.hostname = host;
        const outcome = await strict.send(url.toString(), event("PAY_STATUS_NOTIFY", null).message, 5000);
        expect(outcome.ok).toBe(false);
        expect(outcome.error).toMatch(/loopback or unspecified address.*refused/);
      }
    } finally {
      await strict.close();
    }
    expect(await m().query(`SELECT * FROM information_schema.tables WHERE table_name = 'refused'`)).toEqual(
      [],
    );
  });

  it("seals the URL's password at rest and shows it masked", async () => {
    const url = m().url("sealed");
    const password = decodeURIComponent(new URL(url).password);
    const res = await app.inject({ method: "POST", url: "/v1/webhooks", headers: auth, payload: { url } });
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json();
    expect(res.json().url).toContain(":****@");
    const [row] = await h.db.$queryRaw<
      Array<{ url: string }>
    >`SELECT url FROM webhook_endpoints WHERE id = ${id}`;
    expect(row?.url).not.toContain(password);
    expect(sealedWith(decodeURIComponent(new URL(row?.url ?? "").password))).toBe(testKeyring.sealingId);
    expect(openUrl(testKeyring, id, row?.url ?? "")).toBe(url);
  });
});
