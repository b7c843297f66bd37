// What the receiver answered, over time: every few seconds each api process adds what its
// pzn_notifications_received_total counter gained to per-minute and per-hour counts in Redis, so the
// overview sums every api process and survives restarts (minutes kept 2 hours, hours 25). Nothing is
// added on the receiver's own path.

import { notificationsReceived } from "../ops/metrics.js";
import { redisKeys } from "../queue/keys.js";
import type { RedisClient } from "../queue/redis.js";

export const OUTCOMES = ["accepted", "duplicate", "bad_sign", "bad_request", "unavailable"] as const;
type Outcome = (typeof OUTCOMES)[number];
export type OutcomeCounts = Record<Outcome, number>;

const MINUTE = 60_000;
const HOUR = 3_600_000;

export const emptyCounts = (): OutcomeCounts => ({
  accepted: 0,
  duplicate: 0,
  bad_sign: 0,
  bad_request: 0,
  unavailable: 0,
});

export interface IngestHistory {
  /** Writes what the counter gained since the last flush. */
  flush(): Promise<void>;
  /** Counts per minute (from ≤ 120 minutes ago) or per hour, oldest first. */
  series(unit: "minute" | "hour", count: number, now: number): Promise<OutcomeCounts[]>;
  stop(): void;
}

async function counterTotals(): Promise<OutcomeCounts> {
  const totals = emptyCounts();
  for (const v of (await notificationsReceived.get()).values) {
    const outcome = String(v.labels.outcome) as Outcome;
    if (outcome in totals) totals[outcome] += v.value;
  }
  return totals;
}

/** ioredis resolves a pipeline whose commands failed (Redis unreachable): each answer holds its error. */
function throwOnError<T>(answers: Array<[Error | null, T]> | null): Array<[Error | null, T]> {
  if (answers === null) throw new Error("redis transaction aborted");
  const failed = answers.find(([err]) => err);
  if (failed) throw failed[0];
  return answers;
}

/** `onError`: a periodic write that failed (the overview's own flush fails to its caller). */
export function ingestHistory(
  redis: RedisClient,
  prefix: string,
  onError: (err: unknown) => void,
  flushEveryMs = 10_000,
): IngestHistory {
  const key = redisKeys(prefix).consoleReceived;
  // The counter starts at 0 with the process: everything it counted is still to be written.
  let written = emptyCounts();
  let flushing: Promise<void> | undefined;
  const flushOnce = async () => {
    const totals = await counterTotals();
    const now = Date.now();
    const tx = redis.multi();
    let any = false;
    for (const outcome of OUTCOMES) {
      const delta = totals[outcome] - written[outcome];
      if (delta <= 0) continue;
      any = true;
      tx.hincrby(key("m", Math.floor(now / MINUTE)), outcome, delta);
      tx.hincrby(key("h", Math.floor(now / HOUR)), outcome, delta);
    }
    if (!any) return;
    tx.expire(key("m", Math.floor(now / MINUTE)), 2 * 3600);
    tx.expire(key("h", Math.floor(now / HOUR)), 25 * 3600);
    throwOnError(await tx.exec());
    written = totals;
  };
  const flush = () => {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => flush().catch(onError), flushEveryMs);
  timer.unref();
  return {
    flush,
    async series(unit, count, now) {
      const size = unit === "minute" ? MINUTE : HOUR;
      const last = Math.floor(now / size);
      const slots = Array.from({ length: count }, (_, i) => last - count + 1 + i);
      const pipeline = redis.pipeline();
      for (const slot of slots) pipeline.hgetall(key(unit === "minute" ? "m" : "h", slot));
      const answers = throwOnError(await pipeline.exec());
      return answers.map(([, hash]) => {
        const counts = emptyCounts();
        for (const outcome of OUTCOMES)
          counts[outcome] = Number((hash as Record<string, string>)?.[outcome] ?? 0);
        return counts;
      });
    },
    stop: () => clearInterval(timer),
  };
}
