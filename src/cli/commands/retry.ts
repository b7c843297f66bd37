// `retry`: re-send failed deliveries now, the way POST /v1/deliveries/:id/retry and
// POST /v1/webhooks/:id/retry-failed do (the same operations: re-armed in Postgres for one attempt each).

import { isRefusal, type Refusal } from "../../refusal.js";
import { retryDelivery, retryFailed } from "../../webhooks/delivery/operations.js";
import type { RetryTarget } from "../args.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { printSendReport, sendExitCode, sendNow } from "../dispatch-now.js";
import { cell, plural } from "../table.js";

export interface RetryOptions {
  target: RetryTarget;
  wait: boolean;
  json: boolean;
}

export async function retryDeliveries(ctx: CommandContext, opts: RetryOptions): Promise<number> {
  const { out } = ctx;
  const what = describe(opts.target);
  const result = await rearm(ctx, opts.target);
  if (isRefusal(result)) {
    out.error(`${what}: ${result.message}`);
    return EXIT.notFound;
  }
  if (result.length === 0) {
    out.error(`${what}: no failed deliveries, nothing to retry`);
    return EXIT.notFound;
  }
  const report = await sendNow(
    ctx,
    result.map((id) => ({ id })),
    opts.wait,
  );
  if (opts.json) printJson(out, report);
  else {
    out.print(
      `${what}: re-armed ${plural(result.length, "failed delivery", "failed deliveries")} (${report.deliveryIds.join(", ")})`,
    );
    printSendReport(out, report, ctx.config.webhookPollIntervalMs);
  }
  return sendExitCode(report);
}

/** The ids re-armed, or why none was. */
async function rearm(ctx: CommandContext, target: RetryTarget): Promise<bigint[] | Refusal> {
  const webhooks = ctx.webhooks;
  if ("allFailedOf" in target) {
    const all = await retryFailed(webhooks, ctx.actor, target.allFailedOf);
    return isRefusal(all) ? all : all.retried;
  }
  const one = await retryDelivery(webhooks, ctx.actor, String(target.deliveryId));
  return isRefusal(one) ? one : [target.deliveryId];
}

function describe(target: RetryTarget): string {
  return "allFailedOf" in target ? `webhook ${cell(target.allFailedOf)}` : `delivery ${target.deliveryId}`;
}
