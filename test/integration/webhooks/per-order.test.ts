// "ordering": "per-order" through the whole pipeline (Payzero push → queue → worker → two webhook
// worker sets, as two processes would run them, on one database): an order's deliveries reach the
// endpoint one at a time in order.version order, a failing one holding back only its own order; the
// default endpoint gets the same events without that wait.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Received, type Receiver, startReceiver } from "../../support/receiver.js";

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";
const SLOW = "PO-SLOW";
const OTHERS = ["PO-1", "PO-2", "PO-3", "PO-4", "PO-5"];

let p: Pipeline;
let rx: Receiver;
/** While true, the receiver answers 500 to every event of order SLOW, on both paths. */
let failing = true;

interface Event {
  data: { mchtOrderNo: string };
  order: { version: number };
}
const eventOf = (r: Received) => JSON.parse(r.body) as Event;

beforeAll(async () => {
  // Attempts every claim (100 ms) for as long as the test keeps SLOW failing: it never fails for good here.
  p = await startPipeline({ webhookRetrySchedule: Array(300).fill(0), webhookPollIntervalMs: 100 });
  rx = await startReceiver();
  const answer = () => {
    const event = eventOf(rx.received.at(-1)!);
    return { status: failing && event.data.mchtOrderNo === SLOW ? 500 : 200 };
  };
  rx.on("/ordered", answer);
  rx.on("/unordered", answer);
  // Two worker processes' webhook stages: the gate must hold across them.
  const first = p.startWebhooks();
  p.startWebhooks();
  p.startWorker(first.fanOut);
  for (const [path, ordering] of [
    ["/ordered", "per-order"],
    ["/unordered", undefined],
  ] as const) {
    const res = await p.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: p.authorized,
      payload: { url: rx.url(path), ...(ordering && { ordering }) },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().ordering).toBe(ordering ?? "none");
  }
});
afterAll(async () => {
  await p?.close();
  await rx?.close();
});

async function notify(msgType: string, msgBody: string, timestamp: number): Promise<void> {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, msgBody, timestamp),
  });
  expect(res.body).toBe("OK");
  await p.drained(); // applied before the next: each change its own version
}

/** Three changes of the order: versions 1, 2, 3. */
async function lifeOf(no: string, t: number): Promise<void> {
  const body = (payStatus: string, declareStatus = "NOT_DECLARED") =>
    orderBody({ mchtOrderNo: no, payStatus, declareStatus });
  await notify(PAY, body("PAY_APPLIED"), t);
  await notify(PAY, body("PAY_SUCCEED"), t + 1000);
  await notify(DECLARE, body("PAY_SUCCEED", "DECLARING"), t + 2000);
}

/** The versions of `no` as `path` received them (every attempt, failed ones too), in arrival order. */
const versions = (path: string, no: string) =>
  rx.received
    .filter((r) => r.path === path)
    .map(eventOf)
    .filter((e) => e.data.mchtOrderNo === no)
    .map((e) => e.order.version);

const sorted = (list: number[]) => [...list].sort((a, b) => a - b);

describe('"ordering": "per-order"', () => {
  it("sends an order's events in version order, one at a time, while other orders flow", async () => {
    const t = Date.now() - 3_600_000;
    await lifeOf(SLOW, t);
    for (const no of OTHERS) await lifeOf(no, t);

    // Every other order's three events arrive at both endpoints while SLOW's first keeps failing.
    await waitFor("the other orders' events", async () =>
      OTHERS.every((no) => ["/ordered", "/unordered"].every((path) => versions(path, no).length >= 3)),
    );
    await waitFor("SLOW's first event attempted three times", async () =>
      versions("/ordered", SLOW).filter((v) => v === 1).length >= 3 ? true : undefined,
    );
    // Its later ones are set aside (not due, so claims do not look at them again) until it ends.
    const setAside = await p.db.$queryRaw<Array<{ version: number; waiting: boolean }>>`
      SELECT (n.order_after ->> 'version')::int AS version, d.waiting
        FROM deliveries d JOIN notifications n ON n.id = d.notification_id
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE n.mcht_order_no = ${SLOW} AND e.ordering = 'per-order' ORDER BY 1`;
    expect(setAside).toEqual([
      { version: 1, waiting: false },
      { version: 2, waiting: true },
      { version: 3, waiting: true },
    ]);
    // Per-order: nothing of SLOW but its first event; the default endpoint did not wait for it.
    expect(new Set(versions("/ordered", SLOW))).toEqual(new Set([1]));
    await waitFor("SLOW's later events at the default endpoint", async () =>
      versions("/unordered", SLOW).some((v) => v > 1),
    );
    for (const no of OTHERS) expect(versions("/ordered", no)).toEqual([1, 2, 3]);

    failing = false;
    // Woken when the first succeeds: well before the set-aside time (30 s) ends.
    await waitFor("every delivery to succeed", async () =>
      (await p.db.delivery.count({ where: { status: { not: "succeeded" } } })) === 0 ? true : undefined,
    );
    // Attempts of SLOW in order: the first (failed, then succeeded) ones, then 2, then 3, each once.
    const slow = versions("/ordered", SLOW);
    expect(slow).toEqual(sorted(slow));
    expect(slow.filter((v) => v > 1)).toEqual([2, 3]);
    expect(await p.db.delivery.count({ where: { status: "succeeded" } })).toBe(2 * 3 * (1 + OTHERS.length));
  });
});
