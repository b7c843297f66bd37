// Operations on stored notifications for the three doors: one by id, a page newest first. Each
// returns the view /v1 shows (orders/json.ts) or a Refusal. Replaying one is orders/replay.ts.
import { pageOf } from "../db/page.js";
import type { Notification } from "../generated/prisma/client.js";
import type { Refusal } from "../refusal.js";
import type { OrdersDeps } from "./deps.js";
import { type NotificationJson, notificationJson } from "./json.js";
import { maskMsgBody } from "./mask.js";
import { openBody } from "./personal-data.js";

/** The notification as shown: its body opened (sealed at rest), the payer's fields masked unless `personalData`. */
const shown = (personalData: boolean) => (row: Notification) => {
  const n = notificationJson({ ...row, msgBody: openBody(row.contentKey, row.msgBody) });
  return personalData ? n : { ...n, msgBody: maskMsgBody(n.msgBody) };
};

/** Largest Postgres bigint: ids are bigserial, so a larger one names no notification. */
const MAX_ID = 9_223_372_036_854_775_807n;

export async function getNotification(
  { db }: OrdersDeps,
  input: { id: bigint; personalData: boolean },
): Promise<NotificationJson | Refusal> {
  const n =
    input.id > 0n && input.id <= MAX_ID
      ? await db.notification.findUnique({ where: { id: input.id } })
      : null;
  return n ? shown(input.personalData)(n) : { code: 404, message: "no such notification" };
}

export interface NotificationFilter {
  mchtOrderNo?: string;
  msgType?: string;
  /** The last id of the previous page: the page holds older ones. */
  before?: bigint;
  limit: number;
  /** Payer fields in the bodies unmasked. */
  personalData: boolean;
}

export interface NotificationPage {
  items: NotificationJson[];
  /** The last item's id when there are more; null on the last page. */
  next: bigint | null;
}

/** Stored notifications (each distinct message once), newest first. */
export async function listNotifications(
  { db }: OrdersDeps,
  f: NotificationFilter,
): Promise<NotificationPage> {
  const rows = await db.notification.findMany({
    where: {
      mchtOrderNo: f.mchtOrderNo,
      msgType: f.msgType,
      id: f.before === undefined ? undefined : { lt: f.before },
    },
    orderBy: { id: "desc" },
    take: f.limit + 1,
  });
  const { items, next } = pageOf(rows, f.limit, (row) => row.id);
  return { items: items.map(shown(f.personalData)), next };
}
