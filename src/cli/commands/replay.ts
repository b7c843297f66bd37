// `replay`: forward a stored notification to the endpoints again, with its original webhook-id.
import { webhookMessageId } from "../../webhooks/delivery/payload.js";
import { type CliContext, EXIT, printJson } from "../context.js";
import { printSendReport, sendExitCode, sendNow } from "../dispatch-now.js";
import { applyReplay, type ReplayStep } from "../replay-plan.js";
import { cell, formatTable } from "../table.js";

export interface ReplayOptions {
  notificationId: bigint;
  webhookId?: string;
  wait: boolean;
  json: boolean;
}

export async function replayNotification(ctx: CliContext, opts: ReplayOptions): Promise<number> {
  const { db, out } = ctx;
  const n = await db.notification.findUnique({
    where: { id: opts.notificationId },
    select: { id: true, msgType: true, contentKey: true, prunedAt: true, msgBody: true },
  });
  if (!n) {
    out.error(`no such notification: ${opts.notificationId}`);
    return EXIT.notFound;
  }
  if (n.msgBody === null) {
    out.error(`notification ${n.id}: its body was removed by retention on ${n.prunedAt?.toISOString()}`);
    return EXIT.notFound;
  }
  if (
    opts.webhookId !== undefined &&
    !(await db.webhookEndpoint.findUnique({ where: { id: opts.webhookId } }))
  ) {
    out.error(`no such webhook: ${cell(opts.webhookId)}`);
    return EXIT.notFound;
  }
  const plan = await applyReplay(db, { ...n, msgBody: n.msgBody }, opts.webhookId);
  const head = {
    notificationId: String(n.id),
    msgType: n.msgType,
    messageId: webhookMessageId(n.contentKey),
  };
  if (plan.toSend.length === 0) {
    if (opts.json) printJson(out, { ...head, steps: plan.steps, deliveryIds: [] });
    else printSteps(out.print, head, plan.steps);
    out.error(`notification ${n.id}: nothing to replay`);
    return EXIT.notFound;
  }
  const report = await sendNow(ctx, plan.toSend, opts.wait);
  if (opts.json) printJson(out, { ...head, steps: plan.steps, ...report });
  else {
    printSteps(out.print, head, plan.steps);
    printSendReport(out, report, ctx.config.webhookPollIntervalMs);
  }
  return sendExitCode(report);
}

function printSteps(
  print: (line: string) => void,
  head: { notificationId: string; msgType: string; messageId: string },
  steps: ReplayStep[],
): void {
  print(`notification ${head.notificationId} (${cell(head.msgType)}), webhook-id ${head.messageId}`);
  if (steps.length === 0) {
    print("no endpoint takes this notification (none enabled and subscribed)");
    return;
  }
  const rows = steps.map((s) => [s.action, cell(s.deliveryId), cell(s.webhookId), cell(s.detail, 70)]);
  for (const line of formatTable(["ACTION", "DELIVERY", "ENDPOINT", "DETAIL"], rows)) print(line);
}
