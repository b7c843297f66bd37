// The overview's figures from Redis: the receiver's queue depth and the reconciler's last runs
// (its Postgres figures are the overview operation, ops/overview.ts).
import type { Queue } from "bullmq";

export type QueueDepth = Record<string, number> | null;

/** null: no receiver queue in this process. */
export async function queueDepth(queue: Queue | undefined): Promise<QueueDepth> {
  return queue ? queue.getJobCounts("waiting", "delayed", "active", "failed") : null;
}

export interface ReconcileRun {
  finishedAt: Date;
  ok: boolean;
  result: { queried?: number; changed?: number; failed?: number } | null;
  reason: string | null;
}

/** The last runs BullMQ kept (100 completed and 100 failed at most), newest first; null: reconciler off. */
export async function reconcileRuns(queue: Queue | undefined, take = 10): Promise<ReconcileRun[] | null> {
  if (!queue) return null;
  const jobs = await queue.getJobs(["completed", "failed"], 0, take - 1);
  return jobs
    .filter((j) => j.finishedOn !== undefined)
    .map((j) => ({
      finishedAt: new Date(j.finishedOn!),
      ok: !j.failedReason,
      result: (j.returnvalue as ReconcileRun["result"]) ?? null,
      reason: j.failedReason || null,
    }))
    .sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())
    .slice(0, take);
}
