// Manual retries: a failed delivery goes back to pending, due now, for exactly one attempt (a worker
// process claims it within WEBHOOK_POLL_INTERVAL_MS).
import type { Db } from "../../db/client.js";
import type { Refusal } from "../../refusal.js";

export interface Rearmed {
  id: bigint;
  attemptCount: number;
}

const rearm = { status: "pending", lastError: null, manualRetry: true } as const;

/** Re-arms one failed delivery, or says why not. */
export async function rearmDelivery(db: Db, id: bigint): Promise<Rearmed | Refusal> {
  const row = await db.delivery.findUnique({
    where: { id },
    include: { endpoint: { select: { enabled: true } } },
  });
  if (!row) return { code: 404, message: "no such delivery" };
  if (!row.endpoint.enabled) return { code: 409, message: "the webhook is disabled: enable it first" };
  if (row.status !== "failed")
    return { code: 409, message: `only failed deliveries are retried (this one is ${row.status})` };
  const now = new Date();
  const [rearmed] = await db.delivery.updateManyAndReturn({
    where: { id, status: "failed" },
    data: { ...rearm, nextAttemptAt: now, updatedAt: now },
    select: { id: true, attemptCount: true },
  });
  return rearmed ?? { code: 409, message: "the delivery changed meanwhile" };
}

/** Re-arms every failed delivery of an endpoint. */
export async function rearmFailedOf(db: Db, endpointId: string): Promise<Rearmed[] | Refusal> {
  const endpoint = await db.webhookEndpoint.findUnique({
    where: { id: endpointId },
    select: { enabled: true },
  });
  if (!endpoint) return { code: 404, message: "no such webhook" };
  if (!endpoint.enabled) return { code: 409, message: "the webhook is disabled: enable it first" };
  const now = new Date();
  return db.delivery.updateManyAndReturn({
    where: { endpointId, status: "failed" },
    data: { ...rearm, nextAttemptAt: now, updatedAt: now },
    select: { id: true, attemptCount: true },
  });
}
