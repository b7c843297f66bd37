// A complete receiver of payzero-notify's webhooks (docs/webhooks.md, "Receiving webhooks"). It
// verifies the Standard Webhooks signature, records each webhook-id once, and keeps one row per order
// that never goes back to an older state (only a higher order.version is applied), all in one Postgres
// transaction per event. test/integration/webhooks/receiver-example.test.ts runs it against the service.
//
//   const db = new pg.Pool({ connectionString: process.env.DATABASE_URL });
//   await db.query(SCHEMA);
//   http.createServer(webhookListener(process.env.WEBHOOK_SECRET!, db)).listen(8080);
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { Webhook } from "standardwebhooks";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS shop_webhook_inbox (
  webhook_id  text PRIMARY KEY,
  type        text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS shop_orders (
  mcht_order_no    text PRIMARY KEY,
  pay_status       text,
  declare_status   text,
  payment_amount   bigint,
  payment_order_no text,
  version          integer NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
)`;

/** $1 webhook-id, $2 type. No row inserted: this event was received before. */
export const RECORD_EVENT = `
INSERT INTO shop_webhook_inbox (webhook_id, type) VALUES ($1, $2)
ON CONFLICT (webhook_id) DO NOTHING`;

/** $1 … $6 from the event's "order". No row changed: the stored state is as new or newer. */
export const APPLY_ORDER = `
INSERT INTO shop_orders (mcht_order_no, pay_status, declare_status, payment_amount, payment_order_no, version)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (mcht_order_no) DO UPDATE
   SET pay_status = EXCLUDED.pay_status, declare_status = EXCLUDED.declare_status,
       payment_amount = EXCLUDED.payment_amount, payment_order_no = EXCLUDED.payment_order_no,
       version = EXCLUDED.version, updated_at = now()
 WHERE shop_orders.version < EXCLUDED.version`;

/** The parts of an event this receiver uses (the body has id, timestamp, source and data too). */
export interface OrderEvent {
  type: string;
  /** The order's state right after the message; null for messages not about an order. */
  order: {
    mchtOrderNo: string;
    version: number;
    payStatus: string | null;
    declareStatus: string | null;
    paymentAmount: number | null;
    paymentOrderNo: string | null;
  } | null;
}

/** "repeat": this webhook-id was received before; "older": the stored order is as new or newer. */
export type Outcome = "applied" | "older" | "repeat" | "no order";

/** One event, one transaction: a repeat changes nothing, an older state never replaces a newer one. */
export async function receiveEvent(db: pg.Pool, webhookId: string, event: OrderEvent): Promise<Outcome> {
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    const recorded = await client.query(RECORD_EVENT, [webhookId, event.type]);
    let outcome: Outcome = recorded.rowCount === 0 ? "repeat" : "no order";
    if (outcome !== "repeat" && event.order) {
      const o = event.order;
      const changed = await client.query(APPLY_ORDER, [
        o.mchtOrderNo,
        o.payStatus,
        o.declareStatus,
        o.paymentAmount,
        o.paymentOrderNo,
        o.version,
      ]);
      outcome = changed.rowCount === 1 ? "applied" : "older";
      // Act on a new state here, in this same transaction (ship when payStatus became PAY_SUCCEED, …):
      // it commits with the inbox row, so a repeat of this event can never do it twice.
    }
    await client.query("COMMIT");
    return outcome;
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The HTTP side: 401 to a request the secret does not sign (or older than 5 minutes), 2xx once the
 * event is stored (a repeat too: the service then stops sending it), 500 when the database fails (the
 * service sends the event again, with the same webhook-id).
 */
export function webhookListener(
  secret: string,
  db: pg.Pool,
  onReceived: (webhookId: string, outcome: Outcome) => void = () => {},
) {
  const wh = new Webhook(secret);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        ["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [
          h,
          String(req.headers[h] ?? ""),
        ]),
      );
      let event: OrderEvent;
      try {
        event = wh.verify(body, headers) as OrderEvent;
      } catch {
        res.writeHead(401).end("signature does not verify");
        return;
      }
      try {
        const outcome = await receiveEvent(db, headers["webhook-id"]!, event);
        onReceived(headers["webhook-id"]!, outcome);
        res.writeHead(200, { "content-type": "text/plain" }).end(outcome);
      } catch {
        res.writeHead(500).end("not stored; send it again");
      }
    });
  };
}
