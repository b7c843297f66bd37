// Enqueues re-armed or new delivery rows for one attempt each, and (with --wait) follows them.
import { enqueueRearmed, type Rearmed } from "../webhooks/retry.js";
import { type CliContext, EXIT, type Output } from "./context.js";
import { withDeliveryQueue } from "./queue.js";
import { cell, formatTable, plural } from "./table.js";
import { waitBudgetMs, waitForDeliveries } from "./wait.js";

export interface SettledJson {
  id: string;
  webhookId: string;
  status: string;
  attemptCount: number;
  lastError: string | null;
}

export interface SendReport {
  deliveryIds: string[];
  /** Why Redis did not take the jobs (the relay enqueues the pending rows later), or null. */
  enqueueError: string | null;
  /** With --wait: each row once no longer pending (or at the deadline). */
  settled: SettledJson[] | null;
}

export async function sendNow(ctx: CliContext, rows: Rearmed[], wait: boolean): Promise<SendReport> {
  const enqueueError = await withDeliveryQueue(ctx.config, (queue) => enqueueRearmed(queue, rows));
  const ids = rows.map((r) => r.id);
  const settled = wait
    ? (await waitForDeliveries(ctx.db, ids, waitBudgetMs(ctx.config.webhookTimeoutMs))).map((s) => ({
        id: String(s.id),
        webhookId: s.endpointId,
        status: s.status,
        attemptCount: s.attemptCount,
        lastError: s.lastError,
      }))
    : null;
  return { deliveryIds: ids.map(String), enqueueError, settled };
}

export function printSendReport(out: Output, report: SendReport, relayIntervalMs: number): void {
  const n = report.deliveryIds.length;
  if (report.enqueueError === null)
    out.print(`enqueued ${plural(n, "attempt", "attempts")}: a running worker sends them now`);
  else
    out.print(
      `Redis did not take the ${n} job(s) (${cell(report.enqueueError)}); the rows are pending and the ` +
        `relay enqueues them within ${Math.ceil(relayIntervalMs / 1000)} s`,
    );
  if (report.settled === null) return;
  const pending = report.settled.filter((s) => s.status === "pending").length;
  if (pending > 0) out.print(`${pending} still pending when --wait gave up (is a worker running?)`);
  const rows = report.settled.map((s) => [
    cell(s.id),
    cell(s.webhookId),
    cell(s.status),
    cell(s.attemptCount),
    cell(s.lastError, 60),
  ]);
  for (const line of formatTable(["ID", "ENDPOINT", "STATUS", "ATTEMPTS", "LAST ERROR"], rows))
    out.print(line);
}

/** 0 unless --wait saw a delivery that did not succeed. */
export function sendExitCode(report: SendReport): number {
  return report.settled?.some((s) => s.status !== "succeeded") ? EXIT.notFound : EXIT.ok;
}
