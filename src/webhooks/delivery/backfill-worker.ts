// Runs backfill batches in a worker process: every interval, batch after batch while there is work.
import type { Logger } from "pino";
import type { Db } from "../../db/client.js";
import { repeat } from "../../util.js";
import { backfillStep } from "./backfill.js";

export interface BackfillWorker {
  stop(): Promise<void>;
}

export function startBackfillWorker(db: Db, log: Logger, batch: number, intervalMs: number): BackfillWorker {
  let stopped = false;
  const loop = repeat(
    async () => {
      while (!stopped) {
        const step = await backfillStep(db, batch);
        if (!step) return;
        if (step.done)
          log.info({ backfillId: String(step.backfillId) }, "backfill: every notification of its range read");
      }
    },
    { intervalMs },
    (err) => log.warn({ err }, "backfill batch failed; tried again"),
  );
  return {
    stop: () => {
      stopped = true;
      return loop.stop();
    },
  };
}
