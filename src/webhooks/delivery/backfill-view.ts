// A backfill as /v1/webhooks/:id/backfill shows it (schemas/backfills.ts).
import type { BackfillProgress } from "./backfill.js";

export function backfillView(b: BackfillProgress) {
  return {
    id: String(b.id),
    webhookId: b.endpointId,
    since: b.since.toISOString(),
    until: b.until.toISOString(),
    status: b.status as "running" | "done",
    scanned: b.scanned,
    created: b.created,
    deliveries: b.deliveries,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    finishedAt: b.finishedAt ? b.finishedAt.toISOString() : null,
  };
}
