// One attempt of a held delivery: make sure the hold outlasts it, POST the signed payload, record it.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { attemptLatency, deliveryAttempts } from "../ops/metrics.js";
import { errorMessage } from "../util.js";
import { disableIfFailingTooLong } from "./endpoint-health.js";
import { buildPayload, signRequest } from "./payload.js";
import { type AttemptResult, resultOf } from "./schedule.js";
import { signingSecrets } from "./secret.js";
import { postWebhook } from "./send.js";
import type { AttemptRecord, HeldDelivery } from "./store.js";
import {
  retryAfterMs,
  type ThrottleSettings,
  TOO_MANY_REQUESTS,
  throttledResult,
  throttleWaitMs,
} from "./throttle.js";

export interface AttemptDeps {
  db: Db;
  log: Logger;
  retrySchedule: readonly number[];
  timeoutMs: number;
  /** Extends a hold (null: another process has the row now). Batched. */
  renew: (row: HeldDelivery) => Promise<HeldDelivery | null>;
  /** Records an attempt. Batched. */
  record: (record: AttemptRecord) => Promise<void>;
  /** An endpoint failing this long without a success is disabled (absent: never). */
  disableAfterSeconds?: number;
  /** What a 429 does (absent: it is a failed attempt like any other). */
  throttle?: ThrottleSettings & {
    /** Per endpoint, the 429s in a row this process has seen (the backoff doubles with each) and the pause they set. */
    streaks: Map<string, { count: number; until: number }>;
    /** Pauses this process's attempts to the endpoint until then (ms since epoch). */
    pause: (endpointId: string, until: number) => void;
  };
}

/** Time a hold must have left past the attempt's timeout: enough to record the attempt. */
export const RECORD_MARGIN_MS = 2000;

export type AttemptOutcome = "stale" | "succeeded" | "retrying" | "failed";

export async function runAttempt(deps: AttemptDeps, held: HeldDelivery): Promise<AttemptOutcome> {
  let row = held;
  // A row that waited long in memory (a slow endpoint's queue) renews its hold before it is sent.
  if (row.localDeadline - Date.now() < deps.timeoutMs + RECORD_MARGIN_MS) {
    const renewed = await deps.renew(row);
    if (!renewed) return "stale";
    row = renewed;
  }
  const attemptedAt = new Date();
  const request = signRequest(
    signingSecrets(row.endpoint, attemptedAt),
    buildPayload(row.notification),
    attemptedAt,
  );
  const outcome = await postWebhook(row.endpoint.url, request, deps.timeoutMs);
  const attempt = row.attemptCount + 1;
  const result =
    throttled(deps, row, outcome.statusCode, outcome.retryAfter) ??
    resultOf(outcome.ok, deps.retrySchedule, attempt, row.manualRetry);
  // Before the record makes the retry due: a claim in between would still see the endpoint enabled.
  // (This failure only starts the clock when it is the first, so it cannot be what disables it.)
  if (!outcome.ok && deps.disableAfterSeconds !== undefined)
    await disableIfDue(deps, row.endpointId, deps.disableAfterSeconds);
  const claimed = { id: row.id, endpointId: row.endpointId, attemptCount: row.attemptCount };
  await recordWhileHeld(deps, { claimed, attemptedAt, outcome, result }, row.localDeadline);
  recordMetrics(
    row.endpointId,
    outcome.durationMs,
    result.throttled ? "throttled" : result.status === "pending" ? "failed_attempt" : result.status,
  );
  deps.log.info(
    {
      contentKey: row.notification.contentKey,
      deliveryId: String(row.id),
      endpointId: row.endpointId,
      attempt,
      status: result.status,
      ...(result.throttled && { throttledForMs: result.retryInMs }),
      statusCode: outcome.statusCode,
      error: outcome.error,
      durationMs: outcome.durationMs,
    },
    "webhook attempt",
  );
  return result.status === "pending" ? "retrying" : result.status;
}

/**
 * A 429: the endpoint pauses (this process at once, the others through throttled_until, which the
 * record sets), and the delivery waits as long without using up an attempt, unless it has had
 * WEBHOOK_THROTTLE_LIMIT 429s already (null: an ordinary failed attempt). Any other answer ends the
 * endpoint's run of 429s.
 */
function throttled(
  deps: AttemptDeps,
  row: HeldDelivery,
  statusCode: number | null,
  retryAfter: string | undefined,
): AttemptResult | null {
  const t = deps.throttle;
  if (!t) return null;
  if (statusCode !== TOO_MANY_REQUESTS) {
    if (statusCode !== null) t.streaks.delete(row.endpointId);
    return null;
  }
  const now = Date.now();
  const retryAfterAt = retryAfterMs(retryAfter, now);
  const last = t.streaks.get(row.endpointId);
  // A 429 to an attempt that started before the endpoint's pause (several were in flight) belongs to
  // the same overload: it keeps the pause rather than doubling it once per attempt in flight.
  const samePause = last !== undefined && last.until > now && retryAfterAt === null;
  const count = samePause ? last.count : (last?.count ?? 0) + 1;
  const waitMs = samePause ? last.until - now : throttleWaitMs(retryAfterAt, count - 1, t.maxMs);
  t.streaks.set(row.endpointId, { count, until: now + waitMs });
  t.pause(row.endpointId, now + waitMs);
  return throttledResult(row.throttledCount, waitMs, t);
}

async function disableIfDue(deps: AttemptDeps, endpointId: string, afterSeconds: number): Promise<void> {
  try {
    if (await disableIfFailingTooLong(deps.db, endpointId, afterSeconds, new Date()))
      deps.log.warn({ endpointId }, "endpoint disabled: failing without a success for too long");
  } catch (err) {
    // The next failure checks again; the attempt itself must still be recorded.
    deps.log.warn({ err: errorMessage(err), endpointId }, "endpoint health not checked");
  }
}

/**
 * Records the attempt, trying again through a Postgres outage while the hold lasts. Past it the row
 * is another process's to claim and send again (same webhook-id), as after a crash mid-POST.
 */
async function recordWhileHeld(deps: AttemptDeps, record: AttemptRecord, deadline: number): Promise<void> {
  for (let pause = 250; ; pause = Math.min(pause * 2, 2000)) {
    try {
      return await deps.record(record);
    } catch (err) {
      if (Date.now() + pause >= deadline) {
        deps.log.warn(
          { err: errorMessage(err), deliveryId: String(record.claimed.id) },
          "attempt not recorded; the delivery will be sent again",
        );
        return;
      }
      await sleep(pause);
    }
  }
}

function recordMetrics(endpointId: string, durationMs: number, outcome: string): void {
  deliveryAttempts.inc({ endpoint: endpointId, outcome });
  attemptLatency.observe({ endpoint: endpointId }, durationMs / 1000);
}
