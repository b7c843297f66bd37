// `replay`: forward a stored notification to the endpoints again, with its original webhook-id.
import { type ReplayStep, replayNotification } from "../../orders/replay.js";
import { isRefusal } from "../../refusal.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { printSendReport, sendExitCode, sendNow } from "../dispatch-now.js";
import { cell, formatTable } from "../table.js";

export interface ReplayOptions {
  notificationId: bigint;
  webhookId?: string;
  wait: boolean;
  json: boolean;
}

export async function replayCommand(ctx: CommandContext, opts: ReplayOptions): Promise<number> {
  const { out } = ctx;
  const replayed = await replayNotification(ctx.orders, ctx.actor, opts);
  if (isRefusal(replayed)) {
    out.error(cell(replayed.message, 300));
    return EXIT.notFound;
  }
  const { toSend, steps, ...head } = replayed;
  if (toSend.length === 0) {
    if (opts.json) printJson(out, { ...head, steps, deliveryIds: [] });
    else printSteps(out.print, head, steps);
    out.error(`notification ${head.notificationId}: nothing to replay`);
    return EXIT.notFound;
  }
  const report = await sendNow(ctx, toSend, opts.wait);
  if (opts.json) printJson(out, { ...head, steps, ...report });
  else {
    printSteps(out.print, head, steps);
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
