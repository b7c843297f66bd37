// The delivery operations every door offers (/v1/deliveries, the console's delivery pages, the CLI's
// `deliveries` and `retry`): one function each, a view or a Refusal back; each write recorded once.

import type { Actor } from "../../actor.js";
import { parseBigintId } from "../../db/bigint-id.js";
import { pageOf } from "../../db/page.js";
import { isRefusal, type Refusal } from "../../refusal.js";
import type { WebhookDeps } from "../deps.js";
import { maskUrl } from "../endpoints/url-mask.js";
import { rearmDelivery, rearmFailedOf } from "./manual-retry.js";
import { deliveryInclude, deliveryView } from "./view.js";

export type DeliveryView = ReturnType<typeof deliveryView>;
export type DeliveryStatus = DeliveryView["status"];

/** A delivery with the order its message is about (null: a message without one). */
export interface ListedDelivery {
  delivery: DeliveryView;
  mchtOrderNo: string | null;
}

const include = {
  ...deliveryInclude,
  notification: { select: { msgType: true, contentKey: true, mchtOrderNo: true } },
} as const;

const NO_SUCH_DELIVERY: Refusal = { code: 404, message: "no such delivery" };

/**
 * Deliveries newest first, of one status and one endpoint when given, `limit` of them from `before`
 * (an id: the ones older than it); next is where the following page starts, null after the last.
 */
export async function listDeliveries(
  deps: WebhookDeps,
  query: { status?: DeliveryStatus; webhookId?: string; limit: number; before?: bigint },
): Promise<{ items: ListedDelivery[]; next: bigint | null }> {
  const { status, webhookId, limit, before } = query;
  const rows = await deps.db.delivery.findMany({
    where: {
      ...(status && { status }),
      ...(webhookId !== undefined && { endpointId: webhookId }),
      ...(before !== undefined && { id: { lt: before } }),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
    include,
  });
  const { items, next } = pageOf(rows, limit, (row) => row.id);
  return {
    items: items.map((row) => ({ delivery: deliveryView(row), mchtOrderNo: row.notification.mchtOrderNo })),
    next,
  };
}

export interface DeliveryDetail extends ListedDelivery {
  /** The endpoint it goes to: enabled or not, its url masked, its description. */
  endpoint: { enabled: boolean; url: string; description: string | null };
}

/** One delivery with its attempts; `id` as the doors take it (decimal text). */
export async function getDelivery(deps: WebhookDeps, id: string): Promise<DeliveryDetail | Refusal> {
  const key = parseBigintId(id);
  const row =
    key === undefined
      ? null
      : await deps.db.delivery.findUnique({
          where: { id: key },
          include: { ...include, endpoint: { select: { enabled: true, url: true, description: true } } },
        });
  if (!row) return NO_SUCH_DELIVERY;
  return {
    delivery: deliveryView(row),
    mchtOrderNo: row.notification.mchtOrderNo,
    endpoint: { ...row.endpoint, url: maskUrl(row.endpoint.url) },
  };
}

/** Pending and failed deliveries counted per endpoint (the endpoint's when given). */
export type DeliveryCounts = Map<string, { pending: number; failed: number }>;

export async function deliveryCounts(deps: WebhookDeps, webhookId?: string): Promise<DeliveryCounts> {
  const rows = await deps.db.delivery.groupBy({
    by: ["endpointId", "status"],
    where: {
      status: { in: ["failed", "pending"] },
      ...(webhookId !== undefined && { endpointId: webhookId }),
    },
    _count: { _all: true },
  });
  const counts: DeliveryCounts = new Map();
  for (const row of rows) {
    const of = counts.get(row.endpointId) ?? { pending: 0, failed: 0 };
    of[row.status as "pending" | "failed"] = row._count._all;
    counts.set(row.endpointId, of);
  }
  return counts;
}

/** The count of one endpoint and status (0 when none). */
export function countOf(counts: DeliveryCounts, webhookId: string, status: "pending" | "failed"): number {
  return counts.get(webhookId)?.[status] ?? 0;
}

/** A failed delivery back to pending, due now, for one attempt; the delivery as it is then. */
export async function retryDelivery(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
): Promise<DeliveryView | Refusal> {
  const key = parseBigintId(id);
  if (key === undefined) return NO_SUCH_DELIVERY;
  const rearmed = await rearmDelivery(deps.db, key);
  if (isRefusal(rearmed)) return rearmed;
  await deps.recordWrite({ actor, action: "delivery.retry", target: id });
  const row = await deps.db.delivery.findUniqueOrThrow({ where: { id: key }, include: deliveryInclude });
  return deliveryView(row);
}

/** Every failed delivery of the endpoint back to pending, due now, one attempt each; their ids. */
export async function retryFailed(
  deps: WebhookDeps,
  actor: Actor,
  webhookId: string,
): Promise<{ retried: bigint[] } | Refusal> {
  const rearmed = await rearmFailedOf(deps.db, webhookId);
  if (isRefusal(rearmed)) return rearmed;
  await deps.recordWrite({
    actor,
    action: "delivery.retry-failed",
    target: webhookId,
    summary: { count: rearmed.length },
  });
  return { retried: rearmed.map((r) => r.id) };
}

/** Where each of these deliveries stands (the ones that exist, in id order): for following a retry. */
export async function deliveryStates(
  deps: WebhookDeps,
  ids: bigint[],
): Promise<
  Array<{ id: string; webhookId: string; status: string; attemptCount: number; lastError: string | null }>
> {
  const rows = await deps.db.delivery.findMany({
    where: { id: { in: ids } },
    orderBy: { id: "asc" },
    select: { id: true, endpointId: true, status: true, attemptCount: true, lastError: true },
  });
  return rows.map(({ id, endpointId, ...rest }) => ({ id: String(id), webhookId: endpointId, ...rest }));
}
