// Claims due delivery rows for this process: retries whose time has come, rows a stopped or crashed
// process held, rows given back (overflow, stop) and manual retries. Runs every interval, at once
// again while it keeps finding rows, and whenever the dispatcher runs low after a claim found some.
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { Dispatcher } from "./dispatcher.js";
import { claimDue } from "./store.js";

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
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | null = null;
  /** The last claim found rows: more may be due, so running low is a reason to claim again. */
  let found = false;

  const claim = async (): Promise<number> => {
    const capacity = dispatcher.capacity();
    if (capacity.total === 0) return 0;
    const rows = await claimDue(db, { ...capacity, leaseMs });
    dispatcher.submit(rows);
    return rows.length;
  };

  const run = (): Promise<number> => {
    if (running) return running;
    clearTimeout(timer);
    running = claim()
      .catch((err: unknown) => {
        log.warn({ err }, "claim of due deliveries failed");
        return 0;
      })
      .then((n) => {
        running = null;
        found = n > 0;
        if (!stopped) timer = setTimeout(run, intervalMs);
        return n;
      });
    return running;
  };

  dispatcher.onLow(() => {
    if (found && !stopped && !running) void run();
  });
  timer = setTimeout(run, 0);

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
