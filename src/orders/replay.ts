// Replaying a stored notification (the CLI's `replay`): forwarded to the endpoints again with its
// original webhook-id. New delivery rows for subscribed endpoints without one, failed rows re-armed;
// a worker sends what is due.
import type { Actor } from "../actor.js";
import type { Db } from "../db/client.js";
import { isRefusal, type Refusal } from "../refusal.js";
import { subscribedTo } from "../webhooks/delivery/delivery-rows.js";
import { rearmDelivery } from "../webhooks/delivery/manual-retry.js";
import { webhookMessageId } from "../webhooks/delivery/payload.js";
import { messageStatuses, takes } from "../webhooks/endpoints/filters.js";
import type { OrdersDeps } from "./deps.js";
import { openBody } from "./personal-data.js";

export interface ReplayStep {
  deliveryId: string | null;
  webhookId: string;
  action: "new" | "retry" | "skipped";
  detail: string;
}

interface ReplayPlan {
  /** Rows due now (attemptCount 0 for new rows). */
  toSend: Array<{ id: bigint; attemptCount: number }>;
  steps: ReplayStep[];
}

interface Target {
  id: bigint;
  msgType: string;
  msgBody: string;
  source: string;
}

export interface Replayed extends ReplayPlan {
  notificationId: string;
  msgType: string;
  /** The webhook-id every delivery of it carries. */
  messageId: string;
}

/**
 * Replays notification `notificationId`, to one endpoint (`webhookId`) or every one that takes it.
 * A 404 when the notification, its body (removed by retention) or the endpoint is missing.
 */
export async function replayNotification(
  deps: OrdersDeps,
  actor: Actor,
  input: { notificationId: bigint; webhookId?: string },
): Promise<Replayed | Refusal> {
  const { db } = deps;
  const { notificationId, webhookId } = input;
  const n = await db.notification.findUnique({
    where: { id: notificationId },
    select: { id: true, msgType: true, contentKey: true, prunedAt: true, msgBody: true, source: true },
  });
  if (!n) return { code: 404, message: `no such notification: ${notificationId}` };
  if (n.msgBody === null)
    return {
      code: 404,
      message: `notification ${n.id}: its body was removed by retention on ${n.prunedAt?.toISOString()}`,
    };
  if (webhookId !== undefined && !(await db.webhookEndpoint.findUnique({ where: { id: webhookId } })))
    return { code: 404, message: `no such webhook: ${webhookId}` };
  const plan = await applyReplay(db, { ...n, msgBody: openBody(n.contentKey, n.msgBody) }, webhookId);
  const count = (action: ReplayStep["action"]) => plan.steps.filter((s) => s.action === action).length;
  await deps.recordWrite({
    actor,
    action: "notification.replay",
    target: String(n.id),
    summary: { webhookId: webhookId ?? null, new: count("new"), retried: count("retry") },
  });
  return {
    notificationId: String(n.id),
    msgType: n.msgType,
    messageId: webhookMessageId(n.contentKey),
    ...plan,
  };
}

async function applyReplay(db: Db, n: Target, webhookId?: string): Promise<ReplayPlan> {
  const plan: ReplayPlan = { toSend: [], steps: [] };
  const created = await createMissing(db, n, webhookId);
  for (const row of created) {
    plan.toSend.push({ id: row.id, attemptCount: 0 });
    plan.steps.push({
      deliveryId: String(row.id),
      webhookId: row.endpointId,
      action: "new",
      detail: "no delivery yet",
    });
  }
  const existing = await db.delivery.findMany({
    where: {
      notificationId: n.id,
      id: { notIn: created.map((r) => r.id) },
      ...(webhookId && { endpointId: webhookId }),
    },
    orderBy: { id: "asc" },
    select: { id: true, endpointId: true, status: true, attemptCount: true, lastError: true },
  });
  for (const row of existing) await rearmExisting(db, row, plan);
  if (webhookId !== undefined && plan.steps.length === 0)
    plan.steps.push({
      deliveryId: null,
      webhookId,
      action: "skipped",
      detail: await whyNoRow(db, webhookId, n),
    });
  return plan;
}

/** One row per enabled, subscribed endpoint that has none for this notification (like the fan-out). */
function createMissing(db: Db, n: Target, webhookId?: string) {
  return db.$transaction(async (tx) => {
    // Its body gone (retention), there is nothing to send. FOR SHARE: retention cannot remove it meanwhile.
    const [row] = await tx.$queryRaw<Array<{ pruned: boolean }>>`
      SELECT msg_body IS NULL AS pruned FROM notifications WHERE id = ${n.id} FOR SHARE`;
    if (row?.pruned !== false) return [];
    const endpoints = await tx.webhookEndpoint.findMany({
      where: {
        AND: [
          subscribedTo(n, messageStatuses(n.msgBody)),
          ...(webhookId === undefined ? [] : [{ id: webhookId }]),
        ],
      },
      select: { id: true },
    });
    if (endpoints.length === 0) return [];
    const now = new Date();
    return tx.delivery.createManyAndReturn({
      data: endpoints.map((e) => ({ notificationId: n.id, endpointId: e.id, nextAttemptAt: now })),
      skipDuplicates: true,
      select: { id: true, endpointId: true },
    });
  });
}

interface ExistingRow {
  id: bigint;
  endpointId: string;
  status: string;
  attemptCount: number;
  lastError: string | null;
}

async function rearmExisting(db: Db, row: ExistingRow, plan: ReplayPlan): Promise<void> {
  const step = { deliveryId: String(row.id), webhookId: row.endpointId };
  if (row.status !== "failed") {
    plan.steps.push({ ...step, action: "skipped", detail: `already ${row.status}` });
    return;
  }
  const rearmed = await rearmDelivery(db, row.id);
  if (isRefusal(rearmed)) {
    plan.steps.push({ ...step, action: "skipped", detail: rearmed.message });
    return;
  }
  plan.toSend.push(rearmed);
  const after = `failed after ${row.attemptCount} attempt(s)${row.lastError ? ` (${row.lastError})` : ""}`;
  plan.steps.push({ ...step, action: "retry", detail: after });
}

async function whyNoRow(db: Db, webhookId: string, n: Target): Promise<string> {
  const endpoint = await db.webhookEndpoint.findUnique({ where: { id: webhookId } });
  if (!endpoint) return "no such webhook";
  if (!endpoint.enabled) return "the webhook is disabled: enable it first";
  if (!takes({ ...endpoint, payStatuses: [], declareStatuses: [] }, n, messageStatuses(n.msgBody)))
    return `the webhook does not take ${n.msgType}`;
  return "the webhook's payStatus/declareStatus filter does not take this message";
}
