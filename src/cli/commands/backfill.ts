// `backfill`: start a backfill of a webhook (like POST /v1/webhooks/:id/backfill), or show its
// backfills' progress (like GET).

import { isRefusal } from "../../refusal.js";
import { type BackfillProgress, backfillsOf, startBackfill } from "../../webhooks/delivery/backfill.js";
import { type CliContext, EXIT, printJson } from "../context.js";
import { cell, formatTable } from "../table.js";

export interface BackfillOptions {
  webhookId: string;
  since?: Date;
  until?: Date;
  json: boolean;
}

export async function backfillCommand(ctx: CliContext, opts: BackfillOptions): Promise<number> {
  const { db, out } = ctx;
  const what = `webhook ${cell(opts.webhookId)}`;
  if (opts.since) {
    const started = await startBackfill(db, opts.webhookId, opts.since, opts.until ?? new Date());
    if (isRefusal(started)) {
      out.error(`${what}: ${started.message}`);
      return EXIT.notFound;
    }
    if (opts.json)
      printJson(out, summary({ ...started, deliveries: { pending: 0, succeeded: 0, failed: 0 } }));
    else
      out.print(
        `${what}: backfill ${started.id} started for ${started.since.toISOString()} to ${started.until.toISOString()}; the worker processes create and send its deliveries (follow with: backfill ${opts.webhookId})`,
      );
    return EXIT.ok;
  }
  const endpoint = await db.webhookEndpoint.findUnique({
    where: { id: opts.webhookId },
    select: { id: true },
  });
  if (!endpoint) {
    out.error(`${what}: no such webhook`);
    return EXIT.notFound;
  }
  const backfills = await backfillsOf(db, endpoint.id);
  if (opts.json) printJson(out, backfills.map(summary));
  else if (backfills.length === 0) out.print(`${what}: no backfills`);
  else
    for (const line of formatTable(
      ["id", "since", "until", "status", "read", "created", "succeeded", "pending", "failed"],
      backfills.map((b) =>
        [
          b.id,
          b.since.toISOString(),
          b.until.toISOString(),
          b.status,
          b.scanned,
          b.created,
          b.deliveries.succeeded,
          b.deliveries.pending,
          b.deliveries.failed,
        ].map((v) => cell(String(v))),
      ),
    ))
      out.print(line);
  return EXIT.ok;
}

function summary(b: BackfillProgress) {
  return {
    id: String(b.id),
    webhookId: b.endpointId,
    since: b.since.toISOString(),
    until: b.until.toISOString(),
    status: b.status,
    scanned: b.scanned,
    created: b.created,
    deliveries: b.deliveries,
    finishedAt: b.finishedAt?.toISOString() ?? null,
  };
}
