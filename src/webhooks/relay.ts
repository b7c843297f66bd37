// The relay: pending deliveries that are overdue and have no live job get one (lost enqueue, crash).
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { type DeliveryJob, ensureAttempt } from "./queue.js";
import { errorMessage } from "./util.js";

export interface RelayDeps {
  db: Db;
  queue: Queue<DeliveryJob>;
  log: Logger;
  intervalMs: number;
  /** How long past due a pending row must be before the relay steps in. */
  graceMs: number;
  batchSize?: number;
}

/** One pass; returns how many rows it (re-)enqueued. Deterministic job ids make extra passes harmless. */
export async function relayOnce(deps: RelayDeps): Promise<number> {
  const dueBefore = new Date(Date.now() - deps.graceMs);
  const rows = await deps.db.delivery.findMany({
    where: {
      status: "pending",
      OR: [{ nextAttemptAt: { lt: dueBefore } }, { nextAttemptAt: null, createdAt: { lt: dueBefore } }],
    },
    orderBy: { nextAttemptAt: "asc" },
    take: deps.batchSize ?? 500,
    select: { id: true, attemptCount: true },
  });
  for (const row of rows) await ensureAttempt(deps.queue, row.id, row.attemptCount);
  return rows.length;
}

export interface Relay {
  stop: () => Promise<void>;
}

export function startRelay(deps: RelayDeps): Relay {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      const n = await relayOnce(deps);
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
