// The relay: pending deliveries that are overdue and have no live job get one (lost enqueue, crash).
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { errorMessage } from "../util.js";
import { type DeliveryJob, ensureAttempt } from "./queue.js";

export interface RelayDeps {
  db: Db;
  queue: Queue<DeliveryJob>;
  log: Logger;
  intervalMs: number;
  /** How long past due a pending row must be before the relay steps in. */
  graceMs: number;
  batchSize?: number;
}

/** Where the next pass goes on from: the last row this one looked at (null time: a row without one). */
export interface RelayCursor {
  nextAttemptAt: Date | null;
  id: bigint;
}

/**
 * One pass over the next batch of overdue rows after `after` (rows without a next attempt time first,
 * then oldest first); returns how many rows it (re-)enqueued and where the next pass goes on (null:
 * from the start again). Walking on, rather than taking the oldest every time, reaches rows behind a
 * larger backlog whose jobs are alive (a slow endpoint). Deterministic job ids make extra passes harmless.
 */
export async function relayOnce(
  deps: RelayDeps,
  after: RelayCursor | null = null,
): Promise<{ enqueued: number; next: RelayCursor | null }> {
  const dueBefore = new Date(Date.now() - deps.graceMs);
  const batchSize = deps.batchSize ?? 500;
  const rows = await deps.db.delivery.findMany({
    where: {
      status: "pending",
      OR: [{ nextAttemptAt: { lt: dueBefore } }, { nextAttemptAt: null, createdAt: { lt: dueBefore } }],
      ...(after && { AND: { OR: rowsAfter(after) } }),
    },
    orderBy: [{ nextAttemptAt: { sort: "asc", nulls: "first" } }, { id: "asc" }],
    take: batchSize,
    select: { id: true, attemptCount: true, nextAttemptAt: true },
  });
  for (const row of rows) await ensureAttempt(deps.queue, row.id, row.attemptCount);
  const last = rows.at(-1);
  const next = rows.length === batchSize && last ? { nextAttemptAt: last.nextAttemptAt, id: last.id } : null;
  return { enqueued: rows.length, next };
}

/** The rows after the cursor in the walk's order (nulls first, then by time, each by id). */
function rowsAfter(after: RelayCursor) {
  if (after.nextAttemptAt === null)
    return [{ nextAttemptAt: null, id: { gt: after.id } }, { nextAttemptAt: { not: null } }];
  return [
    { nextAttemptAt: { gt: after.nextAttemptAt } },
    { nextAttemptAt: after.nextAttemptAt, id: { gt: after.id } },
  ];
}

export interface Relay {
  stop: () => Promise<void>;
}

export function startRelay(deps: RelayDeps): Relay {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let cursor: RelayCursor | null = null;
  const tick = async () => {
    try {
      const { enqueued: n, next } = await relayOnce(deps, cursor);
      cursor = next;
      if (n > 0) deps.log.info({ deliveries: n }, "relay re-enqueued overdue deliveries");
    } catch (err) {
      deps.log.warn({ err: errorMessage(err) }, "relay pass failed");
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, deps.intervalMs);
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
