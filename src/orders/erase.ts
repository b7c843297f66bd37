// Erasing a payer's personal data: by hand (DELETE /v1/orders/:mchtOrderNo/personal-data, the CLI's
// `order erase`) or by PERSONAL_DATA_RETENTION_DAYS (src/retention/prune.ts). Everywhere it is stored,
// in one transaction under the orders' own locks: the order row's payer columns, the payer fields of
// its notifications' bodies and of their order_after snapshots. Statuses, amounts, versions and the
// history stay. The order is marked (personal_data_erased_at): a later message about it, pushed or
// found by the reconciler, is stored and forwarded without them (src/orders/apply.ts).
import type { Actor } from "../actor.js";
import type { Db } from "../db/client.js";
import type { Refusal } from "../refusal.js";
import { lockOrders, type Tx } from "./apply-sql.js";
import type { OrdersDeps } from "./deps.js";
import { erasePayerFromBody, openBody, sealBody } from "./personal-data.js";

export interface Erased {
  orders: number;
  /** Notifications whose body or snapshot held payer fields. */
  notifications: number;
}

const NO_PAYER = JSON.stringify({ payerName: null, payerNumber: null, payerPhone: null });

/** Erases the personal data of these orders (their notifications' too). The caller's transaction. */
export async function erasePayers(tx: Tx, mchtOrderNos: string[]): Promise<Erased> {
  if (mchtOrderNos.length === 0) return { orders: 0, notifications: 0 };
  // No message of theirs is applied meanwhile: none can write the data back under the old state.
  await lockOrders(tx, mchtOrderNos);
  const orders = await tx.$executeRaw`
    UPDATE orders SET payer_name = NULL, payer_number = NULL, payer_phone = NULL,
           personal_data_erased_at = COALESCE(personal_data_erased_at, now())
     WHERE mcht_order_no = ANY (${mchtOrderNos}::text[])`;
  const bodies = await tx.$queryRaw<Array<{ id: bigint; contentKey: string; msgBody: string }>>`
    SELECT id, content_key AS "contentKey", msg_body AS "msgBody" FROM notifications
     WHERE mcht_order_no = ANY (${mchtOrderNos}::text[]) AND msg_body IS NOT NULL`;
  const changed = bodies.flatMap((n) => {
    const body = openBody(n.contentKey, n.msgBody);
    const erased = erasePayerFromBody(body);
    return erased === body ? [] : [{ id: n.id, body: sealBody(n.contentKey, erased) }];
  });
  if (changed.length > 0)
    await tx.$executeRaw`
      UPDATE notifications n SET msg_body = u.body
        FROM unnest(${changed.map((c) => c.id)}::bigint[], ${changed.map((c) => c.body)}::text[]) AS u (id, body)
       WHERE n.id = u.id`;
  const snapshots = await tx.$queryRaw<Array<{ id: bigint }>>`
    UPDATE notifications SET order_after = order_after || ${NO_PAYER}::jsonb
     WHERE mcht_order_no = ANY (${mchtOrderNos}::text[]) AND order_after IS NOT NULL
       AND (order_after->>'payerName' IS NOT NULL OR order_after->>'payerNumber' IS NOT NULL
            OR order_after->>'payerPhone' IS NOT NULL)
    RETURNING id`;
  const ids = new Set([...changed.map((c) => c.id), ...snapshots.map((s) => s.id)]);
  return { orders, notifications: ids.size };
}

async function eraseOne(db: Db, mchtOrderNo: string): Promise<Erased> {
  return db.$transaction((tx) => erasePayers(tx, [mchtOrderNo]), { maxWait: 10_000, timeout: 30_000 });
}

/**
 * The operation behind DELETE /v1/orders/:mchtOrderNo/personal-data and `order erase`: a 404 for an
 * order not known; erasing again is harmless (and recorded again). The audit entry names the order and
 * counts, never the data.
 */
export async function erasePersonalData(
  deps: OrdersDeps,
  actor: Actor,
  mchtOrderNo: string,
): Promise<Erased | Refusal> {
  const known = await deps.db.order.findUnique({ where: { mchtOrderNo }, select: { mchtOrderNo: true } });
  if (!known) return { code: 404, message: `no such order: ${mchtOrderNo}` };
  const erased = await eraseOne(deps.db, mchtOrderNo);
  await deps.recordWrite({
    actor,
    action: "order.erase-personal-data",
    target: mchtOrderNo,
    summary: { notifications: erased.notifications },
  });
  return erased;
}
