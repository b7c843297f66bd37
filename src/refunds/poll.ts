// One refund poll run: ask Payzero (section 9.2) about the registered refunds that are due, at the
// reconciler's rate and with its client (one login), and record each answer (apply.ts).
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { FanOut } from "../orders/notification.js";
import { PayzeroAuthError } from "../payzero/errors.js";
import type { QueriedRefund } from "../payzero/query-api.js";
import { type ReconcileSettings, startOffset } from "../reconcile/policy.js";
import { errorMessage } from "../util.js";
import { applyRefundAnswer, recordRefundFailure } from "./apply.js";
import { runSize } from "./schedule.js";

export interface RefundPollDeps {
  db: Db;
  client: { queryRefund: (mchtRefundOrderNo: string) => Promise<QueriedRefund> };
  fanOut: FanOut;
  log: Logger;
  settings: Pick<ReconcileSettings, "batchSize" | "ratePerSecond" | "maxAgeSeconds">;
  sleep?: (ms: number) => Promise<void>;
}

export interface RefundPollResult {
  queried: number;
  changed: number;
  failed: number;
}

/** Asks about the due refunds, oldest due first; stops when Payzero refuses our credentials. */
export async function pollRefundsOnce(deps: RefundPollDeps): Promise<RefundPollResult> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const due = await deps.db.$queryRaw<Array<{ no: string }>>`
    SELECT mcht_refund_order_no AS no FROM refunds
     WHERE next_poll_at <= now()
     ORDER BY next_poll_at, mcht_refund_order_no
     LIMIT ${runSize(deps.settings.batchSize, deps.settings.ratePerSecond)}`;
  const result: RefundPollResult = { queried: 0, changed: 0, failed: 0 };
  const started = performance.now();
  for (const [index, { no }] of due.entries()) {
    const wait = startOffset(index, deps.settings.ratePerSecond) - (performance.now() - started);
    if (wait > 0) await sleep(wait);
    result.queried++;
    const askedAt = new Date();
    let answer: QueriedRefund;
    try {
      answer = await deps.client.queryRefund(no);
    } catch (err) {
      result.failed++;
      deps.log.warn({ mchtRefundOrderNo: no, err: errorMessage(err) }, "refunds: Payzero query failed");
      await recordRefundFailure(deps.db, no, errorMessage(err), deps.settings.maxAgeSeconds);
      if (err instanceof PayzeroAuthError) break;
      continue;
    }
    const applied = await applyRefundAnswer(
      deps.db,
      no,
      answer,
      askedAt,
      deps.settings.maxAgeSeconds,
      deps.fanOut,
    );
    if (applied.changed) {
      result.changed++;
      deps.log.info({ mchtRefundOrderNo: no, refundStatus: applied.refundStatus }, "refunds: status changed");
    }
    if (!applied.polling && !applied.changed)
      deps.log.warn({ mchtRefundOrderNo: no, refundStatus: applied.refundStatus }, "refunds: given up");
  }
  return result;
}
