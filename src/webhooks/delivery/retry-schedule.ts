// The retry schedule: which attempt comes next, and when. Pure.

/** What to do after a failed attempt. */
export type AfterFailure = { kind: "retry"; delayMs: number } | { kind: "give-up" };

/**
 * `schedule[i]` is the wait in seconds between attempt i+1 and attempt i+2, so a delivery gets at
 * most `schedule.length + 1` attempts. `attemptsMade` counts the failed one just made.
 */
export function afterFailure(schedule: readonly number[], attemptsMade: number): AfterFailure {
  const seconds = schedule[attemptsMade - 1];
  if (attemptsMade < 1 || seconds === undefined) return { kind: "give-up" };
  return { kind: "retry", delayMs: seconds * 1000 };
}

export function isSuccess(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}

type DeliveryStatus = "pending" | "succeeded" | "failed";

/** What follows an attempt: `retryInMs` set means one more attempt is due that long after it. */
export interface AttemptResult {
  status: DeliveryStatus;
  retryInMs: number | null;
  /** A 429 that slows the endpoint down: not counted against the retry schedule. */
  throttled?: boolean;
}

/**
 * `attemptsMade` counts this attempt. A manual retry (`lastAttempt`) is one attempt: failed again
 * if it fails, whatever the schedule would still allow.
 */
export function resultOf(
  ok: boolean,
  schedule: readonly number[],
  attemptsMade: number,
  lastAttempt = false,
): AttemptResult {
  if (ok) return { status: "succeeded", retryInMs: null };
  const next = afterFailure(schedule, attemptsMade);
  if (next.kind === "give-up" || lastAttempt) return { status: "failed", retryInMs: null };
  return { status: "pending", retryInMs: next.delayMs };
}
