// The history phase: the same burst on an empty database, then again once the database holds a
// long history (notifications, their orders and deliveries, written directly in SQL, then ANALYZE).
// What each message costs must not grow with what was stored before it: the ratio of the CPU per
// forwarded message after to before is the figure (target ≤ ×1.25).
import { growHistory } from "../test/support/history.js";
import { perMessage } from "./cpu.js";
import { burstUntilForwarded, command, freshService, type PhaseContext } from "./phases.js";

export interface HistorySettings {
  historyBurst: number;
  /** Notifications to add between the two bursts (two per order). */
  historyNotifications: number;
}

export async function runHistory(ctx: PhaseContext, h: HistorySettings): Promise<void> {
  const n = h.historyBurst;
  const cmd = command(ctx, "history");
  console.log(`history: burst of ${n} on an empty database …`);
  let service = await freshService(ctx);
  const before = await burstUntilForwarded(ctx, service, n, "history-before");
  await service.child.stop();

  const size = h.historyNotifications.toLocaleString("en");
  console.log(`history: adding ${size} notifications with their orders and deliveries …`);
  const growStarted = Date.now();
  await growHistory(ctx.resources.databaseUrl, {
    orders: Math.ceil(h.historyNotifications / 2),
    prefix: "old-",
  });
  const growS = (Date.now() - growStarted) / 1000;

  console.log(`history: the same burst on ${size} notifications (written in ${growS.toFixed(0)} s) …`);
  // A new process, as for the first burst: neither burst runs on the other's warmed-up code.
  await ctx.resources.clearQueues();
  service = await freshService(ctx, true);
  const after = await burstUntilForwarded(ctx, service, n, "history-after");
  await service.child.stop();

  // Per forwarded message: when the deadline cut a burst short, its CPU per message is a lower bound.
  const per = (r: typeof before) => r.cpu.total / Math.max(r.forwarded, 1);
  const ratio = per(before) > 0 ? per(after) / per(before) : Number.NaN;
  const atLeast = after.forwarded < n || before.forwarded < n ? "≥ " : "";
  const forwarded = (s: number | null) => (s === null ? "not all" : `${s.toFixed(2)} s`);
  ctx.figures.push(
    {
      figure: `5. burst of ${n} on an empty database: CPU per forwarded message`,
      value: perMessage(before.cpu, before.forwarded, n),
      command: cmd,
    },
    {
      figure: `5. burst of ${n} after ${size} notifications: CPU per forwarded message`,
      value: perMessage(after.cpu, after.forwarded, n),
      command: cmd,
    },
    {
      figure: "5. CPU per message after / before (target ≤ ×1.25)",
      value: `${atLeast}×${ratio.toFixed(2)}`,
      command: cmd,
    },
    {
      figure: `5. burst of ${n}: all forwarded, before / after the history`,
      value: `${forwarded(before.forwardedS)} / ${forwarded(after.forwardedS)}`,
      command: cmd,
    },
  );
}
