// The backfill operations every door offers (/v1/webhooks/:id/backfill, the CLI's `backfill`).
import type { Actor } from "../../actor.js";
import { isRefusal, type Refusal } from "../../refusal.js";
import type { WebhookDeps } from "../deps.js";
import { backfillsOf, startBackfill as writeBackfill } from "./backfill.js";
import { backfillView } from "./backfill-view.js";

export type BackfillView = ReturnType<typeof backfillView>;

/** Starts a backfill of [since, until) (until: now when absent); the worker processes do the work. */
export async function startBackfill(
  deps: WebhookDeps,
  actor: Actor,
  webhookId: string,
  range: { since: Date; until?: Date },
): Promise<BackfillView | Refusal> {
  const started = await writeBackfill(deps.db, webhookId, range.since, range.until ?? deps.now());
  if (isRefusal(started)) return started;
  await deps.recordWrite({
    actor,
    action: "backfill.start",
    target: webhookId,
    summary: {
      backfill: String(started.id),
      since: started.since.toISOString(),
      until: started.until.toISOString(),
    },
  });
  return backfillView({ ...started, deliveries: { pending: 0, succeeded: 0, failed: 0 } });
}

/** The endpoint's backfills, newest first (at most 20), with their deliveries counted by status. */
export async function getBackfills(deps: WebhookDeps, webhookId: string): Promise<BackfillView[] | Refusal> {
  const endpoint = await deps.db.webhookEndpoint.findUnique({
    where: { id: webhookId },
    select: { id: true },
  });
  if (!endpoint) return { code: 404, message: "no such webhook" };
  return (await backfillsOf(deps.db, endpoint.id)).map(backfillView);
}
