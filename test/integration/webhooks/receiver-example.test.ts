// The receiver docs/webhooks.md shows (docs/examples/receiver.ts), run against the whole service:
// Payzero pushes → queue → worker → webhook POSTs to it, with the network made to reorder deliveries
// (one is refused until a newer state of its order is in) and repeat them (an answer lost after the
// event was stored), then its table compared with GET /v1/orders/:no.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Outcome, SCHEMA, webhookListener } from "../../../docs/examples/receiver.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";
const ORDERS = ["RX-1", "RX-2", "RX-3"];

let p: Pipeline;
let merchantDb: TestDatabase;
let pool: pg.Pool;
let server: Server;
let secret: string;
const outcomes: Array<{ webhookId: string; outcome: Outcome }> = [];

/** What the network does to a request before the receiver sees it. */
type Fault = "refuse" | "lose-answer" | undefined;
const answered = new Set<string>();

/** The stored version of an order at the receiver (0: none). */
async function storedVersion(no: string): Promise<number> {
  const { rows } = await pool.query("SELECT version FROM shop_orders WHERE mcht_order_no = $1", [no]);
  return rows[0]?.version ?? 0;
}

/** Version 3 is refused until version 4 of its order is in (so it arrives late); version 2's first answer is lost. */
async function faultFor(webhookId: string, event: { order: { mchtOrderNo: string; version: number } }) {
  const { mchtOrderNo, version } = event.order;
  if (version === 3 && (await storedVersion(mchtOrderNo)) < 4) return "refuse";
  if (version === 2 && !answered.has(webhookId)) {
    answered.add(webhookId);
    return "lose-answer";
  }
  return undefined;
}

beforeAll(async () => {
  p = await startPipeline({ webhookRetrySchedule: Array(100).fill(0), webhookPollIntervalMs: 100 });
  merchantDb = await createTestDatabase();
  pool = new pg.Pool({ connectionString: merchantDb.url, max: 4 });
  await pool.query(SCHEMA);
  let listener: ReturnType<typeof webhookListener> | undefined;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const fault: Fault = await faultFor(String(req.headers["webhook-id"]), JSON.parse(body));
      if (fault === "refuse") return void res.writeHead(503).end();
      if (fault === "lose-answer") {
        const writeHead = res.writeHead.bind(res);
        res.writeHead = ((_status: number) => writeHead(502)) as typeof res.writeHead;
      }
      // The receiver reads the request as it came: replay its body into the listener.
      const replayed = Object.assign(Readable.from([Buffer.from(body)]), { headers: req.headers });
      listener!(replayed as unknown as typeof req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const res = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: `http://127.0.0.1:${port}/payzero` },
  });
  expect(res.statusCode).toBe(201);
  secret = res.json().secret;
  listener = webhookListener(secret, pool, (webhookId, outcome) => outcomes.push({ webhookId, outcome }));
  p.startWorker(p.startWebhooks().fanOut);
});
afterAll(async () => {
  await p?.close();
  await pool?.end();
  await merchantDb?.drop();
  await new Promise((r) => server?.close(r));
});

/** Each delivered webhook-id's order.version, as the service stored it. */
const versionOf = new Map<string, number>();

async function notify(msgType: string, msgBody: string, timestamp: number): Promise<void> {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, msgBody, timestamp),
  });
  expect(res.body).toBe("OK");
  await p.drained();
}

describe("the documented receiver (docs/examples/receiver.ts)", () => {
  it("is the one docs/webhooks.md shows", () => {
    const doc = readFileSync(new URL("../../../docs/webhooks.md", import.meta.url), "utf8");
    const source = readFileSync(new URL("../../../docs/examples/receiver.ts", import.meta.url), "utf8");
    expect(doc).toContain(source);
  });

  it("ends with each order's state as the service has it, whatever the order and repeats of delivery", async () => {
    const t = Date.now() - 3_600_000;
    for (const no of ORDERS) {
      const body = (payStatus: string, declareStatus: string) =>
        orderBody({ mchtOrderNo: no, payStatus, declareStatus });
      await notify(PAY, body("PAY_APPLIED", "NOT_DECLARED"), t); // version 1
      await notify(PAY, body("PAY_SUCCEED", "NOT_DECLARED"), t + 1000); // 2
      await notify(PAY, body("PAY_SUCCEED", "NOT_DECLARED"), t + 1000); // Payzero's resend: nothing new
      await notify(DECLARE, body("PAY_SUCCEED", "DECLARING"), t + 2000); // 3
      await notify(DECLARE, body("PAY_SUCCEED", "DECLARED"), t + 3000); // 4
      await notify(PAY, body("PAY_FAILED", "NOT_DECLARED"), t + 500); // stale: forwarded with version 4
    }
    const notifications = await p.db.notification.findMany({
      select: { contentKey: true, orderAfter: true },
    });
    for (const n of notifications)
      versionOf.set(`msg_${n.contentKey}`, (n.orderAfter as { version: number }).version);
    expect(notifications).toHaveLength(5 * ORDERS.length);
    await waitFor("every delivery to succeed", async () =>
      (await p.db.delivery.count({ where: { status: { not: "succeeded" } } })) === 0 ? true : undefined,
    );

    for (const no of ORDERS) {
      const res = await p.app.inject({ url: `/v1/orders/${no}`, headers: p.authorized });
      const order = res.json();
      const { rows } = await pool.query("SELECT * FROM shop_orders WHERE mcht_order_no = $1", [no]);
      expect(rows[0]).toMatchObject({
        pay_status: order.payStatus,
        declare_status: order.declareStatus,
        payment_amount: String(order.paymentAmount),
        payment_order_no: order.paymentOrderNo,
        version: order.version,
      });
      expect(order.version).toBe(4);
    }
    // Each webhook-id once in the inbox; the faults did happen and were handled as documented.
    const inbox = await pool.query("SELECT webhook_id FROM shop_webhook_inbox");
    expect(inbox.rows.map((r) => r.webhook_id).sort()).toEqual([...versionOf.keys()].sort());
    const seen = (version: number) =>
      outcomes.filter((o) => versionOf.get(o.webhookId) === version).map((o) => o.outcome);
    const times = (n: number, outcome: Outcome) => Array<Outcome>(n).fill(outcome);
    expect(seen(2).sort()).toEqual([...times(ORDERS.length, "applied"), ...times(ORDERS.length, "repeat")]);
    expect(seen(3)).toEqual(times(ORDERS.length, "older"));

    // A request the secret does not sign is refused and stores nothing.
    const port = (server.address() as AddressInfo).port;
    const forged = await fetch(`http://127.0.0.1:${port}/payzero`, {
      method: "POST",
      headers: {
        "webhook-id": "msg_forged",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": "v1,AAAA",
      },
      body: JSON.stringify({ type: PAY, order: { mchtOrderNo: "RX-1", version: 99 } }),
    });
    expect(forged.status).toBe(401);
    expect(await storedVersion("RX-1")).toBe(4);
  });
});
