// Runs backfill batches in a worker process: every interval, batch after batch while there is work.
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { backfillStep } from "./backfill.js";

export interface BackfillWorker {
  stop(): Promise<void>;
}

export function startBackfillWorker(db: Db, log: Logger, batch: number, intervalMs: number): BackfillWorker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  const runBatches = async () => {
    while (!stopped) {
      const step = await backfillStep(db, batch);
      if (!step) return;
      if (step.done)
        log.info({ backfillId: String(step.backfillId) }, "backfill: every notification of its range read");
    }
  };

  const run = () => {
    running = runBatches()
      .catch((err: unknown) => log.warn({ err }, "backfill batch failed; tried again"))
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(run, intervalMs);
      });
  };
  timer = setTimeout(run, 0);

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
