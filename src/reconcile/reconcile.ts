// One reconciliation run: ask Payzero about the next batch of stale orders, at a bounded rate, and feed
// every difference through the same apply step as a notification (source "payzero-query").
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { applyNotification } from "../orders/apply.js";
import type { FanOut } from "../orders/notification.js";
import { PayzeroApiError, PayzeroAuthError } from "../payzero/errors.js";
import type { QueriedOrder } from "../payzero/query-api.js";
import {
  abandonedShare,
  type Cursor,
  differences,
  nextCursor,
  priorityOrdersQuery,
  queryNotification,
  type ReconcileSettings,
  type StoredOrder,
  staleOrdersQuery,
  startOffset,
} from "./policy.js";
import { announcedOrders, clearUnknown, databaseNow, markUnknown, newestKnown } from "./store.js";

export interface CursorStore {
  load: () => Promise<Cursor | null>;
  save: (cursor: Cursor | null) => Promise<void>;
}

export interface ReconcileDeps {
  db: Db;
  client: { queryOrder: (mchtOrderNo: string) => Promise<QueriedOrder> };
  fanOut: FanOut;
  log: Logger;
  settings: ReconcileSettings;
  /** Where the walk over stale orders goes on from; default: from the oldest every run. */
  cursor?: CursorStore;
  /** Likewise for the walk over abandoned orders (see policy.ts). */
  abandonedCursor?: CursorStore;
  /**
   * The time staleness is measured at; default Postgres's now(), the clock that wrote every order's
   * updatedAt (tests move it to age orders). The local clock only stamps when an answer was received.
   */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface ReconcileResult {
  queried: number;
  changed: number;
  failed: number;
}

type Outcome = "changed" | "unchanged" | "failed" | "refused";

const noCursor: CursorStore = { load: async () => null, save: async () => {} };

export async function reconcileOnce(deps: ReconcileDeps): Promise<ReconcileResult> {
  const { db, settings: s } = deps;
  const cursorStore = deps.cursor ?? noCursor;
  const abandonedStore = deps.abandonedCursor ?? noCursor;
  const cursor = await cursorStore.load();
  const abandonedCursor = await abandonedStore.load();
  const now = deps.now?.() ?? (await databaseNow(db));
  // Announced orders are never abandoned. The abandoned share is taken before the rest, so that what it
  // leaves unused goes to the others.
  const announced = await announcedOrders(db, now, s.maxAgeSeconds, s.batchSize);
  const abandonedTake = abandonedShare(s);
  const abandoned: StoredOrder[] =
    abandonedTake > 0
      ? await db.order.findMany(
          staleOrdersQuery(now, s, abandonedCursor, {
            kind: "abandoned",
            exclude: announced,
            take: abandonedTake,
          }),
        )
      : [];
  const othersTake = s.batchSize - abandoned.length;
  const priority: StoredOrder[] = await db.order.findMany(priorityOrdersQuery(now, s, announced, othersTake));
  const regularTake = othersTake - priority.length;
  const regular: StoredOrder[] =
    regularTake > 0
      ? await db.order.findMany(
          staleOrdersQuery(now, s, cursor, {
            kind: "regular",
            exclude: priority.map((o) => o.mchtOrderNo),
            take: regularTake,
          }),
        )
      : [];
  const batch = [...priority, ...regular, ...abandoned];
  const outcomes = await askPaced(deps, batch);
  // A refused query (it ends the run) asked nothing: the next run starts with that order.
  const askedAbout = outcomes.at(-1) === "refused" ? outcomes.length - 1 : outcomes.length;
  const askedOf = (offset: number, part: readonly StoredOrder[]) =>
    Math.max(0, Math.min(part.length, askedAbout - offset));
  if (regularTake > 0)
    await cursorStore.save(nextCursor(regular, askedOf(priority.length, regular), regularTake, cursor));
  if (abandonedTake > 0)
    await abandonedStore.save(
      nextCursor(
        abandoned,
        askedOf(priority.length + regular.length, abandoned),
        abandonedTake,
        abandonedCursor,
      ),
    );
  const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
  return { queried: outcomes.length, changed: count("changed"), failed: count("failed") + count("refused") };
}

/**
 * Asks about the orders one after the other, starting at most ratePerSecond a second. Stops when Payzero
 * refuses our credentials (every further query would fail the same way) or when the interval is nearly
 * over (the next run goes on from the cursor), so no two runs overlap.
 */
async function askPaced(deps: ReconcileDeps, batch: readonly StoredOrder[]): Promise<Outcome[]> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const started = performance.now();
  const deadline = deps.settings.intervalSeconds * 1000 * 0.9;
  const outcomes: Outcome[] = [];
  for (const [index, order] of batch.entries()) {
    const wait = startOffset(index, deps.settings.ratePerSecond) - (performance.now() - started);
    if (wait > 0) await sleep(wait);
    if (performance.now() - started > deadline) break;
    const outcome = await askAbout(deps, order);
    outcomes.push(outcome);
    if (outcome === "refused") break;
  }
  return outcomes;
}

async function askAbout(deps: ReconcileDeps, order: StoredOrder): Promise<Outcome> {
  // The answer is Payzero's state when asked: it comes after everything stored by then (see queryNotification).
  const askedAt = new Date();
  let horizon: bigint | null;
  let answer: QueriedOrder;
  try {
    horizon = await newestKnown(deps.db, order.mchtOrderNo);
    answer = await deps.client.queryOrder(order.mchtOrderNo);
  } catch (err) {
    deps.log.warn({ mchtOrderNo: order.mchtOrderNo, err: errorText(err) }, "reconcile: Payzero query failed");
    // Every query path answered a business error: Payzero does not know the order (the doc names no code).
    if (err instanceof PayzeroApiError) await markUnknown(deps.db, order.mchtOrderNo);
    return err instanceof PayzeroAuthError ? "refused" : "failed";
  }
  if (order.payzeroUnknownSince !== null) await clearUnknown(deps.db, order.mchtOrderNo);
  try {
    const { changed } = await applyAnswer(deps, order, answer, horizon, askedAt);
    return changed ? "changed" : "unchanged";
  } catch (err) {
    deps.log.error({ mchtOrderNo: order.mchtOrderNo, err: errorText(err) }, "reconcile: apply failed");
    return "failed";
  }
}

/** What applying an answer did: the message types it called for, and whether the order changed. */
export interface AppliedAnswer {
  msgTypes: string[];
  changed: boolean;
}

/**
 * Feeds Payzero's answer about an order through the apply step: one message per dimension whose status
 * differs from the stored one (differences). Shared by the reconciler's runs and POST …/query.
 */
export async function applyAnswer(
  deps: Pick<ReconcileDeps, "db" | "fanOut"> & { log: { info(obj: object, msg: string): void } },
  order: StoredOrder,
  answer: QueriedOrder,
  horizon: bigint | null,
  askedAt: Date,
): Promise<AppliedAnswer> {
  const msgTypes = differences(order, answer.dto);
  let changed = false;
  for (const msgType of msgTypes) {
    const result = await applyNotification(
      deps.db,
      queryNotification(msgType, answer.msgBody, horizon, askedAt),
      deps.fanOut,
    );
    changed ||= result.changedOrder;
  }
  if (msgTypes.length > 0)
    deps.log.info({ mchtOrderNo: order.mchtOrderNo, msgTypes, changed }, "applied Payzero's answer");
  return { msgTypes, changed };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
