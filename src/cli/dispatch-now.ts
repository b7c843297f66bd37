// Re-armed or new delivery rows are due at once in Postgres, where any worker process claims them;
// with --wait, follows them until they are no longer pending.

import { deliveryStates } from "../webhooks/delivery/operations.js";
import type { WebhookDeps } from "../webhooks/deps.js";
import { type CommandContext, EXIT, type Output } from "./context.js";
import { cell, formatTable, plural } from "./table.js";

/** `--wait`: follows deliveries until none is pending (a worker sent them), bounded in time. */
async function waitForDeliveries(webhooks: WebhookDeps, ids: bigint[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await deliveryStates(webhooks, ids);
    if (states.every((s) => s.status !== "pending") || Date.now() > deadline) return states;
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
  ctx: CommandContext,
  rows: Array<{ id: bigint }>,
  wait: boolean,
): Promise<SendReport> {
  const ids = rows.map((r) => r.id);
  const settled = wait
    ? await waitForDeliveries(ctx.webhooks, ids, waitBudgetMs(ctx.config.webhookTimeoutMs))
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
