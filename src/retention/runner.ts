// Runs retention from the worker role every RETENTION_INTERVAL_SECONDS, off the hot path: batches of
// RETENTION_BATCH_SIZE rows with a pause between, one batch at a time across all worker processes.
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { retentionLastRun, retentionRemoved } from "../ops/metrics.js";
import { repeat } from "../util.js";
import { pruneOnce } from "./prune.js";

export interface RetentionDeps {
  config: Config;
  db: Db;
  log: Logger;
}

/** Pause between two batches of a run. */
const RETENTION_PAUSE_MS = 200;
/** The first run, this long after start (or the interval, if shorter): not in the start-up rush. */
const FIRST_RUN_DELAY_MS = 60_000;

export function startRetention(deps: RetentionDeps): { stop: () => Promise<void> } {
  const settings = deps.config.retention;
  if (settings === null) return { stop: async () => {} };
  let stopping = false;
  const loop = repeat(
    async () => {
      const result = await pruneOnce(
        deps.db,
        {
          days: settings.days,
          personalDataDays: settings.personalDataDays,
          awaitDeclaration: deps.config.reconcile.awaitDeclaration,
          batchSize: settings.batchSize,
          pauseMs: RETENTION_PAUSE_MS,
        },
        () => stopping,
      );
      retentionRemoved.inc({ kind: "deliveries" }, result.deliveries);
      retentionRemoved.inc({ kind: "delivery_attempts" }, result.deliveryAttempts);
      retentionRemoved.inc({ kind: "notification_bodies" }, result.notificationBodies);
      retentionRemoved.inc({ kind: "personal_data" }, result.personalData);
      retentionLastRun.set(Date.now() / 1000);
      deps.log.info(result, result.busy ? "retention run left to another process" : "retention run finished");
    },
    {
      intervalMs: settings.intervalSeconds * 1000,
      firstDelayMs: Math.min(FIRST_RUN_DELAY_MS, settings.intervalSeconds * 1000),
    },
    (err) => deps.log.warn({ err }, "retention run failed"),
  );
  deps.log.info(
    { days: settings.days, personalDataDays: settings.personalDataDays, every: settings.intervalSeconds },
    "retention started",
  );
  return {
    stop: () => {
      stopping = true;
      return loop.stop();
    },
  };
}
