// Claims due delivery rows for this process: retries whose time has come, rows a stopped or crashed
// process held, rows given back (overflow, stop) and manual retries. Runs every interval, at once
// again while it keeps finding rows, and whenever the dispatcher runs low after a claim found some.
import type { Logger } from "pino";
import type { Db } from "../../db/client.js";
import { throttledLog } from "../../ops/log-throttle.js";
import { repeat } from "../../util.js";
import { claimDue } from "./delivery-queue.js";
import type { Dispatcher } from "./dispatcher.js";

export interface PollerDeps {
  db: Db;
  dispatcher: Dispatcher;
  log: Logger;
  intervalMs: number;
  leaseMs: number;
}

export interface Poller {
  stop(): Promise<void>;
}

export function startPoller({ db, dispatcher, log, intervalMs, leaseMs }: PollerDeps): Poller {
  /** The last claim found rows: more may be due, so running low is a reason to claim again. */
  let found = false;
  // Postgres down fails every claim the same way: one line, then a count a minute.
  const failures = throttledLog(log);
  const loop = repeat(
    async () => {
      found = false;
      const capacity = dispatcher.capacity();
      if (capacity.total === 0) return;
      const rows = await claimDue(db, { ...capacity, leaseMs });
      dispatcher.submit(rows);
      found = rows.length > 0;
    },
    { intervalMs },
    (err) => failures.warn({ err }, "claim of due deliveries failed"),
  );
  dispatcher.onLow(() => {
    if (found && !loop.isRunning()) void loop.runNow();
  });
  return {
    stop: async () => {
      await loop.stop();
      failures.stop();
    },
  };
}
