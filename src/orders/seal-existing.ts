// Seals the personal data stored before it was sealed (and reseals what an older key of
// ENCRYPTION_KEYS sealed) with the first key: `migrate` runs it to the end, the api and worker roles
// in the background at start. Batches in order of the primary key, each value replaced only if
// unchanged meanwhile (the apply step and erasures run at the same time), one process at a time
// (a try-lock per batch: a process that finds it taken leaves the pass to the other). Idempotent.
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { isSealedWith, type Keyring, SealingError } from "../crypto/keyring.js";
import type { Db } from "../db/client.js";
import { Prisma } from "../generated/prisma/client.js";
import {
  openBody,
  openOrder,
  openSnapshot,
  sealBody,
  sealOrder,
  sealSnapshot,
  usePersonalDataKeys,
} from "./personal-data.js";

export interface PersonalDataSealReport {
  orders: number;
  notifications: number;
  /** Values sealed with a key ENCRYPTION_KEYS does not hold: left as they are (and unreadable). */
  unopened: number;
  /** Another process held the pass's lock: this one stopped. */
  busy: boolean;
}

const LOCK = Prisma.sql`pg_try_advisory_xact_lock(1886092910, 2)`;

interface OrderRow {
  mchtOrderNo: string;
  payerName: string | null;
  payerNumber: string | null;
  payerPhone: string | null;
}

interface NotificationRow {
  id: bigint;
  contentKey: string;
  msgBody: string | null;
  orderAfter: unknown;
}

export async function sealExistingPersonalData(
  db: Db,
  keyring: Keyring,
  batchSize = 500,
): Promise<PersonalDataSealReport> {
  const report: PersonalDataSealReport = { orders: 0, notifications: 0, unopened: 0, busy: false };
  const like = `enc:v2:${keyring.sealingId}:%`;
  const fresh = (v: unknown) => typeof v !== "string" || isSealedWith(v, keyring.sealingId);
  let orderCursor = "";
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const [{ locked }] = await tx.$queryRaw<[{ locked: boolean }]>`SELECT ${LOCK} AS locked`;
      if (!locked) return null;
      const rows = await tx.$queryRaw<OrderRow[]>`
        SELECT mcht_order_no AS "mchtOrderNo", payer_name AS "payerName", payer_number AS "payerNumber",
               payer_phone AS "payerPhone"
          FROM orders
         WHERE mcht_order_no > ${orderCursor}
           AND (payer_name NOT LIKE ${like} OR payer_number NOT LIKE ${like} OR payer_phone NOT LIKE ${like})
         ORDER BY mcht_order_no LIMIT ${batchSize}`;
      const sealed: Array<{ old: OrderRow; now: OrderRow }> = [];
      for (const old of rows) {
        try {
          sealed.push({ old, now: sealOrder(openOrder(old, keyring), keyring) });
        } catch (err) {
          if (!(err instanceof SealingError)) throw err;
          report.unopened++;
        }
      }
      if (sealed.length > 0) {
        const col = (pick: (s: (typeof sealed)[number]) => string | null) => sealed.map(pick);
        report.orders += await tx.$executeRaw`
          UPDATE orders o SET payer_name = u.name, payer_number = u.number, payer_phone = u.phone
            FROM unnest(${col((s) => s.old.mchtOrderNo)}::text[],
                        ${col((s) => s.now.payerName)}::text[], ${col((s) => s.now.payerNumber)}::text[],
                        ${col((s) => s.now.payerPhone)}::text[], ${col((s) => s.old.payerName)}::text[],
                        ${col((s) => s.old.payerNumber)}::text[], ${col((s) => s.old.payerPhone)}::text[])
                 AS u (no, name, number, phone, old_name, old_number, old_phone)
           WHERE o.mcht_order_no = u.no AND o.payer_name IS NOT DISTINCT FROM u.old_name
             AND o.payer_number IS NOT DISTINCT FROM u.old_number AND o.payer_phone IS NOT DISTINCT FROM u.old_phone`;
      }
      orderCursor = rows.at(-1)?.mchtOrderNo ?? orderCursor;
      return rows.length < batchSize;
    });
    if (done === null) return { ...report, busy: true };
    if (done) break;
  }
  let idCursor = 0n;
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const [{ locked }] = await tx.$queryRaw<[{ locked: boolean }]>`SELECT ${LOCK} AS locked`;
      if (!locked) return null;
      const rows = await tx.$queryRaw<NotificationRow[]>`
        SELECT id, content_key AS "contentKey", msg_body AS "msgBody", order_after AS "orderAfter"
          FROM notifications
         WHERE id > ${idCursor}
           AND (msg_body NOT LIKE ${like} OR order_after->>'payerName' NOT LIKE ${like}
                OR order_after->>'payerNumber' NOT LIKE ${like} OR order_after->>'payerPhone' NOT LIKE ${like})
         ORDER BY id LIMIT ${batchSize}`;
      const sealed: Array<{ old: NotificationRow; body: string | null; after: string | null }> = [];
      for (const old of rows) {
        try {
          const body =
            old.msgBody === null || fresh(old.msgBody)
              ? old.msgBody
              : sealBody(old.contentKey, openBody(old.contentKey, old.msgBody, keyring), keyring);
          const snapshot = old.orderAfter as Record<string, unknown> | null;
          const after =
            snapshot === null ||
            (fresh(snapshot.payerName) && fresh(snapshot.payerNumber) && fresh(snapshot.payerPhone))
              ? snapshot
              : sealSnapshot(old.contentKey, openSnapshot(old.contentKey, snapshot, keyring), keyring);
          sealed.push({ old, body, after: after === null ? null : JSON.stringify(after) });
        } catch (err) {
          if (!(err instanceof SealingError)) throw err;
          report.unopened++;
        }
      }
      if (sealed.length > 0)
        report.notifications += await tx.$executeRaw`
          UPDATE notifications n SET msg_body = u.body, order_after = u.after
            FROM unnest(${sealed.map((s) => s.old.id)}::bigint[], ${sealed.map((s) => s.body)}::text[],
                        ${sealed.map((s) => s.after)}::jsonb[], ${sealed.map((s) => s.old.msgBody)}::text[],
                        ${sealed.map((s) => (s.old.orderAfter === null ? null : JSON.stringify(s.old.orderAfter)))}::jsonb[])
                 AS u (id, body, after, old_body, old_after)
           WHERE n.id = u.id AND n.msg_body IS NOT DISTINCT FROM u.old_body
             AND n.order_after IS NOT DISTINCT FROM u.old_after`;
      idCursor = rows.at(-1)?.id ?? idCursor;
      return rows.length < batchSize;
    });
    if (done === null) return { ...report, busy: true };
    if (done) break;
  }
  return report;
}

/** `migrate`: the whole pass, now. */
export async function sealPersonalDataWithMigrate(db: Db, config: Config): Promise<PersonalDataSealReport> {
  return sealExistingPersonalData(db, usePersonalDataKeys(config));
}

/**
 * Start of the api and worker roles: the keyring installed (a ConfigError without ENCRYPTION_KEYS,
 * before the role serves anything), then the pass in the background: rows not sealed yet still open
 * (as they are) meanwhile.
 */
export function sealPersonalDataAtStart(db: Db, config: Config, log: Logger): void {
  const keyring = usePersonalDataKeys(config);
  sealExistingPersonalData(db, keyring).then(
    (report) => {
      if (report.orders + report.notifications + report.unopened > 0)
        log[report.unopened > 0 ? "error" : "info"](
          { ...report, key: keyring.sealingId },
          report.unopened > 0
            ? "personal data sealed with a key ENCRYPTION_KEYS does not hold was left as it is"
            : "personal data sealed with the first of ENCRYPTION_KEYS",
        );
    },
    (err: unknown) => log.warn({ err }, "personal data not sealed yet: `migrate` or the next start does it"),
  );
}
