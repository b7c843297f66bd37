// Database destinations end to end: Payzero's signed notifications, reordered and repeated, through the
// service into a merchant's Postgres and MariaDB tables, their connections cut in the middle; then
// each table holds exactly what GET /v1/orders/:no shows, and every webhook-id once in its inbox.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBatch, type SimMessage } from "../../../src/simulator/batch.js";
import {
  createMysqlMerchant,
  createPostgresMerchant,
  type MerchantDatabase,
} from "../../support/merchant-db.js";
import { signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
let pgDb: MerchantDatabase;
let myDb: MerchantDatabase;

beforeAll(async () => {
  [p, pgDb, myDb] = await Promise.all([
    // Retries enough to outlast the cuts on a busy machine (each cut fails the attempts it catches).
    // In seconds, as WEBHOOK_RETRY_SCHEDULE: a delivery caught by both cuts waited 100 s, past settled().
    startPipeline({
      webhookRetrySchedule: [0, 0, 1, 1, 1, ...Array<number>(15).fill(1)],
      webhookPollIntervalMs: 100,
    }),
    createPostgresMerchant(),
    createMysqlMerchant(),
  ]);
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
});
afterAll(async () => {
  await p?.close();
  await pgDb?.drop();
  await myDb?.drop();
});

/** A seeded shuffle (so a failure replays the same order). */
function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function notify(envelopes: ReturnType<typeof signedEnvelope>[]): Promise<void> {
  // A few at a time, as Payzero's senders would.
  for (let i = 0; i < envelopes.length; i += 8)
    await Promise.all(
      envelopes.slice(i, i + 8).map(async (payload) => {
        const res = await p.app.inject({ method: "POST", url: "/payzero/notify", payload });
        expect(res.body).toBe("OK");
      }),
    );
}

async function settled(timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await p.db.delivery.count({ where: { status: "pending" } });
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`deliveries not settled: ${pending} pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const time = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v));

/** The merchant's row of an order as the order's JSON names it (bigints as numbers, times as ISO). */
function asOrder(row: Record<string, unknown>) {
  return {
    mchtOrderNo: row.mcht_order_no,
    payStatus: row.pay_status,
    payStatusAt: num(row.pay_status_at),
    declareStatus: row.declare_status,
    declareStatusAt: num(row.declare_status_at),
    declareFailReason: row.declare_fail_reason,
    paymentAmount: num(row.payment_amount),
    paymentOrderNo: row.payment_order_no,
    payerName: row.payer_name,
    payerNumber: row.payer_number,
    payerPhone: row.payer_phone,
    version: num(row.version),
    updatedAt: time(row.updated_at),
  };
}

/** What the merchant table and inbox hold, against GET /v1/orders/:no and the endpoint's deliveries. */
async function compare(db: MerchantDatabase, table: string, endpointId: string, orderNos: string[]) {
  const rows = await db.query(`SELECT * FROM ${table}`);
  const byNo = new Map(rows.map((r) => [String(r.mcht_order_no), asOrder(r)]));
  const mismatches: unknown[] = [];
  for (const no of orderNos) {
    const res = await p.app.inject({ method: "GET", url: `/v1/orders/${no}`, headers: p.authorized });
    const o = res.json();
    const expected = asOrder({
      mcht_order_no: o.mchtOrderNo,
      pay_status: o.payStatus,
      pay_status_at: o.payStatusAt,
      declare_status: o.declareStatus,
      declare_status_at: o.declareStatusAt,
      declare_fail_reason: o.declareFailReason,
      payment_amount: o.paymentAmount,
      payment_order_no: o.paymentOrderNo,
      payer_name: o.payerName,
      payer_number: o.payerNumber,
      payer_phone: o.payerPhone,
      version: o.version,
      updated_at: new Date(o.updatedAt),
    });
    const got = byNo.get(no);
    if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push({ no, got, expected });
  }
  const inbox = await db.query(`SELECT webhook_id FROM ${table}_events`);
  const deliveries = await p.db.delivery.findMany({
    where: { endpointId },
    select: { notification: { select: { contentKey: true } } },
  });
  return {
    rows: rows.length,
    mismatches,
    inboxIds: inbox.map((r) => String(r.webhook_id)).sort(),
    deliveredIds: deliveries.map((d) => `msg_${d.notification.contentKey}`).sort(),
  };
}

describe("database destinations", () => {
  it("keep each order's latest state and each webhook-id once, through reordering, repeats and cut connections", async () => {
    const endpoints: Record<string, string> = {};
    for (const [name, db] of [
      ["postgres", pgDb],
      ["mysql", myDb],
    ] as const) {
      const res = await p.app.inject({
        method: "POST",
        url: "/v1/webhooks",
        headers: p.authorized,
        payload: { url: db.url("payzero_orders", { personalData: "true" }), description: name },
      });
      expect(res.statusCode, res.body).toBe(201);
      endpoints[name] = res.json().id;
    }

    const batch = generateBatch({ orders: 200, failRate: 0.2, seed: 26, prefix: "DB" });
    // Payzero's own times in the order it sent them; delivered to the service in another order, many twice.
    const base = Date.now() - 60_000;
    const envelopes = batch.messages.map((m: SimMessage, i) =>
      signedEnvelope(m.msgType, m.msgBody, base + i),
    );
    const repeated = [...envelopes, ...envelopes.filter((_, i) => i % 3 === 0)];
    const sent = shuffled(repeated, 26);
    const third = Math.ceil(sent.length / 3);

    await notify(sent.slice(0, third));
    // Mid-flight: every connection of the service to both merchant databases cut, twice.
    const cut = await Promise.all([pgDb.cutConnections(), myDb.cutConnections()]);
    expect(
      cut.every((n) => n > 0),
      "connections cut",
    ).toBe(true);
    await notify(sent.slice(third, 2 * third));
    await Promise.all([pgDb.cutConnections(), myDb.cutConnections()]);
    await notify(sent.slice(2 * third));
    await p.drained();
    await settled();

    const failed = await p.db.delivery.findMany({
      where: { status: { not: "succeeded" } },
      include: { attempts: { orderBy: { id: "desc" }, take: 1 } },
    });
    expect(failed.map((d) => d.attempts[0]?.error)).toEqual([]);
    for (const [name, db] of [
      ["postgres", pgDb],
      ["mysql", myDb],
    ] as const) {
      const orderNos = batch.finalStates.map((o) => o.mchtOrderNo);
      const result = await compare(db, "payzero_orders", endpoints[name] as string, orderNos);
      expect(result.mismatches, name).toEqual([]);
      expect(result.rows, name).toBe(200);
      expect(result.inboxIds, name).toEqual(result.deliveredIds);
    }
    // A few hundred orders through the whole service twice over: minutes on a busy machine.
  }, 240_000);
});
