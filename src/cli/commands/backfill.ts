// `backfill`: start a backfill of a webhook (like POST /v1/webhooks/:id/backfill), or show its
// backfills' progress (like GET): the same operations.

import { isRefusal } from "../../refusal.js";
import {
  type BackfillView,
  getBackfills,
  startBackfill,
} from "../../webhooks/delivery/backfill-operations.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell, formatTable } from "../table.js";

export interface BackfillOptions {
  webhookId: string;
  since?: Date;
  until?: Date;
  json: boolean;
}

export async function backfillCommand(ctx: CommandContext, opts: BackfillOptions): Promise<number> {
  const { out } = ctx;
  const webhooks = ctx.webhooks;
  const what = `webhook ${cell(opts.webhookId)}`;
  if (opts.since) {
    const range = { since: opts.since, until: opts.until };
    const started = await startBackfill(webhooks, ctx.actor, opts.webhookId, range);
    if (isRefusal(started)) {
      out.error(`${what}: ${started.message}`);
      return EXIT.notFound;
    }
    if (opts.json) printJson(out, summary(started));
    else
      out.print(
        `${what}: backfill ${started.id} started for ${started.since} to ${started.until}; the worker processes create and send its deliveries (follow with: backfill ${opts.webhookId})`,
      );
    return EXIT.ok;
  }
  const backfills = await getBackfills(webhooks, opts.webhookId);
  if (isRefusal(backfills)) {
    out.error(`${what}: ${backfills.message}`);
    return EXIT.notFound;
  }
  if (opts.json) printJson(out, backfills.map(summary));
  else if (backfills.length === 0) out.print(`${what}: no backfills`);
  else
    for (const line of formatTable(
      ["id", "since", "until", "status", "read", "created", "succeeded", "pending", "failed"],
      backfills.map((b) =>
        [
          b.id,
          b.since,
          b.until,
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

/** The --json shape (the view without its row times). */
function summary(b: BackfillView) {
  return {
    id: b.id,
    webhookId: b.webhookId,
    since: b.since,
    until: b.until,
    status: b.status,
    scanned: b.scanned,
    created: b.created,
    deliveries: b.deliveries,
    finishedAt: b.finishedAt,
  };
}
