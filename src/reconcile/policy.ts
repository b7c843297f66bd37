// Which orders the reconciler asks Payzero about, and what it makes of the answer (pure).
//
// An order is stale when `updatedAt` (its state last changed) is older than RECONCILE_STALE_SECONDS, too
// old to chase when `createdAt` (first notification or registration) is older than
// RECONCILE_MAX_AGE_SECONDS, and finished when PAY_CANCELLED, or paid and DECLARED, or paid and not to be
// declared (registered with needDeclare false, or every order when RECONCILE_AWAIT_DECLARATION is false).
// An order with no status yet that Payzero has called unknown for RECONCILE_UNKNOWN_ORDER_SECONDS is given
// up (`payzeroUnknownSince`). Stale orders are
// walked in (updatedAt, mchtOrderNo) order, batchSize at a time, from a cursor kept between runs, so a
// batch of orders Payzero keeps answering unchanged does not starve the others; the walk starts again
// at the oldest once it has reached the end. One run per interval asks about each order at most once.
//
// A run's batch comes in three parts, asked about in this order: the priority orders (a retry announced
// and not yet answered, asked about every run whether stale or not; expected orders with no status yet,
// once stale), the regular walk, and the abandoned orders (unchanged in NOT_PAYED, PAY_FAILED or
// DECLARE_FAILED for RECONCILE_ABANDONED_AFTER_SECONDS), walked apart with a cursor of their own and given
// RECONCILE_ABANDONED_SHARE_PERCENT of the batch, so that as they pile up they never crowd out the others.
import type { Config } from "../config.js";
import type { IncomingNotification } from "../orders/notification.js";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../payzero/envelope.js";
import type { OrderResultDto } from "../payzero/orderResult.js";
import { DECLARED, PAY_CANCELLED, PAY_SUCCEED } from "../payzero/statuses.js";

/** Statuses an order may rest in for days, the customer gone: sections 2.7/4.2/5.5/6.2 and 8.1 need the merchant. */
const ABANDONED_PAY = ["NOT_PAYED", "PAY_FAILED"];
const ABANDONED_DECLARE = "DECLARE_FAILED";

export type ReconcileSettings = Config["reconcile"];

/** Where the last run stopped in the (updatedAt, mchtOrderNo) order. */
export interface Cursor {
  updatedAt: Date;
  mchtOrderNo: string;
}

export interface StoredOrder {
  mchtOrderNo: string;
  payStatus: string | null;
  declareStatus: string | null;
  updatedAt: Date;
  payzeroUnknownSince: Date | null;
}

/** How a run's batch is shared: at most `abandoned` orders of the abandoned walk, the rest for the others. */
export function abandonedShare(s: Pick<ReconcileSettings, "batchSize" | "abandonedSharePercent">): number {
  if (s.abandonedSharePercent === 0 || s.batchSize < 2) return 0;
  return Math.min(s.batchSize - 1, Math.max(1, Math.floor((s.batchSize * s.abandonedSharePercent) / 100)));
}

/**
 * Which part of the stale orders a query reads: every one (the default), the regular walk (not abandoned),
 * or the abandoned ones; never those of `exclude` (the run's priority orders); `take` orders at most.
 */
export type Tier =
  | { kind: "all" }
  | { kind: "regular"; exclude: readonly string[]; take: number }
  | { kind: "abandoned"; exclude: readonly string[]; take: number };

function tierWhere(now: Date, s: ReconcileSettings, tier: Tier) {
  if (tier.kind === "all") return {};
  const cutoff = new Date(now.getTime() - s.abandonedAfterSeconds * 1000);
  if (tier.kind === "abandoned")
    return {
      ...(tier.exclude.length > 0 && { mchtOrderNo: { notIn: [...tier.exclude] } }),
      updatedAt: { lt: cutoff },
      OR: [{ payStatus: { in: ABANDONED_PAY } }, { declareStatus: ABANDONED_DECLARE }],
    };
  // Written out for NULL: Prisma's NOT of a comparison with a NULL column would leave the order out.
  return {
    ...(tier.exclude.length > 0 && { mchtOrderNo: { notIn: [...tier.exclude] } }),
    OR: [
      { updatedAt: { gte: cutoff } },
      {
        AND: [
          { OR: [{ payStatus: null }, { payStatus: { notIn: ABANDONED_PAY } }] },
          { OR: [{ declareStatus: null }, { declareStatus: { not: ABANDONED_DECLARE } }] },
        ],
      },
    ],
  };
}

/**
 * Prisma findMany arguments for the run's priority orders, oldest change first: those of `announced`
 * (a retry announced and not answered yet: asked about every run) and the expected orders with no status
 * yet, unfinished and stale. Not given up and younger than maxAgeSeconds, like every order asked about.
 */
export function priorityOrdersQuery(
  now: Date,
  s: ReconcileSettings,
  announced: readonly string[],
  take: number,
) {
  const oldest = new Date(now.getTime() - s.maxAgeSeconds * 1000);
  const stale = new Date(now.getTime() - s.staleSeconds * 1000);
  return {
    where: {
      AND: [
        { createdAt: { gt: oldest } },
        notGivenUpWhere(now, s),
        {
          OR: [
            // Waiting for the outcome the merchant announced, whatever the state says is finished.
            { mchtOrderNo: { in: [...announced] } },
            {
              AND: [
                unfinishedWhere(s),
                { expectedAt: { not: null }, payStatus: null, declareStatus: null, updatedAt: { lt: stale } },
              ],
            },
          ],
        },
      ],
    },
    orderBy: [{ updatedAt: "asc" as const }, { mchtOrderNo: "asc" as const }],
    take,
    select: STORED_ORDER,
  };
}

const STORED_ORDER = {
  mchtOrderNo: true,
  payStatus: true,
  declareStatus: true,
  updatedAt: true,
  payzeroUnknownSince: true,
} as const;

function unfinishedWhere(s: ReconcileSettings) {
  const unpaid = [{ payStatus: null }, { payStatus: { notIn: [PAY_SUCCEED, PAY_CANCELLED] } }];
  // Without declarations (needDeclare false, or the merchant's business form) a paid order never
  // reaches DECLARED: asking about it for days would crowd out the orders whose notifications were lost.
  const undeclared = s.awaitDeclaration
    ? [
        {
          payStatus: PAY_SUCCEED,
          OR: [{ needDeclare: null }, { needDeclare: true }],
          AND: [{ OR: [{ declareStatus: null }, { declareStatus: { not: DECLARED } }] }],
        },
      ]
    : [];
  return { OR: [...unpaid, ...undeclared] };
}

/** Never a status, and Payzero has said "no such order" for too long: registered by mistake, or never created. */
function notGivenUpWhere(now: Date, s: ReconcileSettings) {
  return {
    OR: [
      { payStatus: { not: null } },
      { declareStatus: { not: null } },
      { payzeroUnknownSince: null },
      { payzeroUnknownSince: { gt: new Date(now.getTime() - s.unknownOrderSeconds * 1000) } },
    ],
  };
}

/** Prisma findMany arguments for the next batch of stale orders to ask about (of one tier: see Tier). */
export function staleOrdersQuery(
  now: Date,
  s: ReconcileSettings,
  cursor: Cursor | null,
  tier: Tier = { kind: "all" },
) {
  const unfinished = unfinishedWhere(s);
  const notGivenUp = notGivenUpWhere(now, s);
  const after = cursor
    ? {
        OR: [
          { updatedAt: { gt: cursor.updatedAt } },
          { updatedAt: cursor.updatedAt, mchtOrderNo: { gt: cursor.mchtOrderNo } },
        ],
      }
    : {};
  const oldest = new Date(now.getTime() - s.maxAgeSeconds * 1000);
  return {
    where: {
      AND: [
        // An order changes after it is created, so the updatedAt bound below `oldest` adds nothing
        // to the createdAt one, except that the index on updatedAt then starts at the orders of the
        // last maxAgeSeconds instead of reading every order ever stored (test/integration/db/plans.test.ts).
        { updatedAt: { lt: new Date(now.getTime() - s.staleSeconds * 1000), gt: oldest } },
        { createdAt: { gt: oldest } },
        unfinished,
        after,
        notGivenUp,
        tierWhere(now, s, tier),
      ],
    },
    orderBy: [{ updatedAt: "asc" as const }, { mchtOrderNo: "asc" as const }],
    take: tier.kind === "all" ? s.batchSize : tier.take,
    select: STORED_ORDER,
  };
}

/**
 * The cursor for the next run: after the last order asked about, or null (start again at the oldest)
 * when the whole batch was asked about and it was not full, i.e. the walk reached the end.
 */
export function nextCursor(
  batch: readonly StoredOrder[],
  askedAbout: number,
  batchSize: number,
  previous: Cursor | null,
): Cursor | null {
  if (askedAbout >= batch.length && batch.length < batchSize) return null;
  const last = batch[askedAbout - 1];
  return last ? { updatedAt: last.updatedAt, mchtOrderNo: last.mchtOrderNo } : previous;
}

export function encodeCursor(cursor: Cursor): string {
  return JSON.stringify({ updatedAt: cursor.updatedAt.toISOString(), mchtOrderNo: cursor.mchtOrderNo });
}

export function decodeCursor(text: string | null): Cursor | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== "object" || !("updatedAt" in v) || !("mchtOrderNo" in v)) return null;
    const updatedAt = new Date(String(v.updatedAt));
    if (Number.isNaN(updatedAt.getTime()) || typeof v.mchtOrderNo !== "string") return null;
    return { updatedAt, mchtOrderNo: v.mchtOrderNo };
  } catch {
    return null;
  }
}

/**
 * The notifications Payzero's answer calls for: one per dimension whose status differs from the stored
 * one and is not already final here (a final status never goes back, so saying otherwise changes nothing).
 */
export function differences(stored: StoredOrder, answer: OrderResultDto): string[] {
  const types: string[] = [];
  if (differs(stored.payStatus, answer.payStatus, PAY_SUCCEED)) types.push(PAY_STATUS_NOTIFY);
  if (differs(stored.declareStatus, answer.declareStatus, DECLARED)) types.push(DECLARE_STATUS_NOTIFY);
  return types;
}

function differs(stored: string | null, answered: string | null, final: string): boolean {
  return answered !== null && answered !== stored && stored !== final;
}

/**
 * What the reconciler feeds to the apply step: the answer as Payzero returned it, placed in Payzero's own
 * timeline rather than by our clock. `horizon` is the newest Payzero timestamp among the order's messages
 * stored before the question was asked (null: none). The answer is stamped 1 ms after it, so it outweighs
 * everything known when asking (Payzero answered after sending all of it), and every notification stamped
 * later than all of that outweighs the answer (it may be newer than the answer; if it is not, the next
 * question puts it right). No local clock takes part, so a skewed one changes nothing. `askedAt` (local)
 * is only the receipt time.
 */
export function queryNotification(
  msgType: string,
  msgBody: string,
  horizon: bigint | null,
  askedAt: Date,
): IncomingNotification {
  return { msgType, timestamp: (horizon ?? 0n) + 1n, msgBody, receivedAt: askedAt, source: "payzero-query" };
}

/** When (ms after the run started) the i-th query may start, at most `ratePerSecond` a second. */
export function startOffset(index: number, ratePerSecond: number): number {
  return Math.floor((index * 1000) / ratePerSecond);
}
