// `deliveries`: the outbox rows of one status, newest first (the /v1/deliveries list as a table).
import { type DeliveryView, listDeliveries as deliveriesOf } from "../../webhooks/delivery/operations.js";
import { endpointExists } from "../../webhooks/endpoints/operations.js";
import type { DeliveryStatus } from "../args.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell, formatTable, plural } from "../table.js";

export interface DeliveriesOptions {
  status: DeliveryStatus;
  webhookId?: string;
  limit: number;
  json: boolean;
}

export async function listDeliveries(ctx: CommandContext, opts: DeliveriesOptions): Promise<number> {
  const { out } = ctx;
  const webhooks = ctx.webhooks;
  if (opts.webhookId !== undefined && !(await endpointExists(webhooks, opts.webhookId))) {
    out.error(`no such webhook: ${cell(opts.webhookId)}`);
    return EXIT.notFound;
  }
  const { items } = await deliveriesOf(webhooks, opts);
  const views = items.map((i) => i.delivery);
  if (opts.json) printJson(out, { deliveries: views });
  else printDeliveries(out.print, views, opts);
  return EXIT.ok;
}

function printDeliveries(
  print: (line: string) => void,
  views: DeliveryView[],
  opts: DeliveriesOptions,
): void {
  const scope = opts.webhookId === undefined ? "" : ` of webhook ${opts.webhookId}`;
  if (views.length === 0) {
    print(`no ${opts.status} deliveries${scope}`);
    return;
  }
  const more = views.length === opts.limit ? ` (the newest ${opts.limit}; --limit for more)` : "";
  print(`${plural(views.length, `${opts.status} delivery`, `${opts.status} deliveries`)}${scope}${more}`);
  for (const line of deliveriesTable(views)) print(line);
}

function deliveriesTable(views: DeliveryView[]): string[] {
  return formatTable(
    ["ID", "ENDPOINT", "MESSAGE ID", "STATUS", "ATTEMPTS", "LAST ERROR", "UPDATED"],
    views.map((v) => [
      cell(v.id),
      cell(v.webhookId),
      cell(v.messageId),
      cell(v.status),
      cell(v.attemptCount),
      cell(v.lastError, 60),
      cell(v.updatedAt),
    ]),
  );
}
