// `deliveries`: the outbox rows of one status, newest first (the /v1/deliveries list as a table).
import { deliveryInclude, deliveryView } from "../../webhooks/delivery/view.js";
import type { DeliveryStatus } from "../args.js";
import { type CliContext, EXIT, printJson } from "../context.js";
import { cell, formatTable, plural } from "../table.js";

export interface DeliveriesOptions {
  status: DeliveryStatus;
  webhookId?: string;
  limit: number;
  json: boolean;
}

type View = ReturnType<typeof deliveryView>;

export async function listDeliveries({ db, out }: CliContext, opts: DeliveriesOptions): Promise<number> {
  if (opts.webhookId !== undefined) {
    const endpoint = await db.webhookEndpoint.findUnique({
      where: { id: opts.webhookId },
      select: { id: true },
    });
    if (!endpoint) {
      out.error(`no such webhook: ${cell(opts.webhookId)}`);
      return EXIT.notFound;
    }
  }
  const rows = await db.delivery.findMany({
    where: { status: opts.status, ...(opts.webhookId !== undefined && { endpointId: opts.webhookId }) },
    orderBy: { id: "desc" },
    take: opts.limit,
    include: deliveryInclude,
  });
  const views = rows.map(deliveryView);
  if (opts.json) printJson(out, { deliveries: views });
  else printDeliveries(out.print, views, opts);
  return EXIT.ok;
}

function printDeliveries(print: (line: string) => void, views: View[], opts: DeliveriesOptions): void {
  const scope = opts.webhookId === undefined ? "" : ` of webhook ${opts.webhookId}`;
  if (views.length === 0) {
    print(`no ${opts.status} deliveries${scope}`);
    return;
  }
  const more = views.length === opts.limit ? ` (the newest ${opts.limit}; --limit for more)` : "";
  print(`${plural(views.length, `${opts.status} delivery`, `${opts.status} deliveries`)}${scope}${more}`);
  for (const line of deliveriesTable(views)) print(line);
}

function deliveriesTable(views: View[]): string[] {
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
