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
  /** A claim as soon as possible: right away, or after the one running (which may not see new rows). */
  claimSoon(): void;
  stop(): Promise<void>;
}

export function startPoller({ db, dispatcher, log, intervalMs, leaseMs }: PollerDeps): Poller {
  /** The last claim found rows: more may be due, so running low is a reason to claim again. */
  let found = false;
  // Postgres down fails every claim the same way: one line, then a count a minute.
  const failures = throttledLog(log);
  let again = false;
  const loop = repeat(
    async () => {
      again = false;
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
  let stopped = false;
  const claimSoon = () => {
    if (stopped) return;
    if (!loop.isRunning()) {
      void loop.runNow();
      return;
    }
    if (again) return;
    again = true;
    void loop.runNow().then(() => {
      if (again) claimSoon();
    });
  };
  return {
    claimSoon,
    stop: async () => {
      stopped = true;
      await loop.stop();
      failures.stop();
    },
  };
}
