// Re-armed or new delivery rows are due at once in Postgres, where any worker process claims them;
// with --wait, follows them until they are no longer pending.
import type { Db } from "../db/client.js";
import type { Rearmed } from "../webhooks/delivery/manual-retry.js";
import { type CliContext, EXIT, type Output } from "./context.js";
import { cell, formatTable, plural } from "./table.js";

/** `--wait`: follows deliveries until none is pending (a worker sent them), bounded in time. */
interface Settled {
  id: bigint;
  endpointId: string;
  status: string;
  attemptCount: number;
  lastError: string | null;
}

async function waitForDeliveries(db: Db, ids: bigint[], timeoutMs: number): Promise<Settled[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.delivery.findMany({
      where: { id: { in: ids } },
      orderBy: { id: "asc" },
      select: { id: true, endpointId: true, status: true, attemptCount: true, lastError: true },
    });
    if (rows.every((r) => r.status !== "pending") || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Long enough for one attempt (the POST timeout) plus a worker picking the job up. */
function waitBudgetMs(webhookTimeoutMs: number): number {
  return webhookTimeoutMs + 15_000;
}

interface SettledJson {
  id: string;
  webhookId: string;
  status: string;
  attemptCount: number;
  lastError: string | null;
}

export interface SendReport {
  deliveryIds: string[];
  /** With --wait: each row once no longer pending (or at the deadline). */
  settled: SettledJson[] | null;
}

export async function sendNow(
  ctx: CliContext,
  rows: Array<Pick<Rearmed, "id">>,
  wait: boolean,
): Promise<SendReport> {
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
  return { deliveryIds: ids.map(String), settled };
}

export function printSendReport(out: Output, report: SendReport, pollIntervalMs: number): void {
  const n = report.deliveryIds.length;
  out.print(
    `${plural(n, "attempt", "attempts")} due now: a running worker sends them within ${Math.ceil(pollIntervalMs / 1000)} s`,
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
