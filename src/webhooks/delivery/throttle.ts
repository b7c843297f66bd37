// What a 429 does: the endpoint waits (Retry-After, or a backoff doubling per 429 in a row), and the
// delivery tries again then without using up its retry schedule, up to a limit of 429s. Pure.
import type { AttemptResult } from "./retry-schedule.js";

export const TOO_MANY_REQUESTS = 429;
/** The first wait after a 429 without Retry-After; each further one in a row doubles it. */
export const THROTTLE_BASE_MS = 1000;

/** Retry-After as milliseconds from `now` (delay-seconds or an HTTP date), or null when absent or not valid. */
export function retryAfterMs(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return null;
  return Math.max(0, at - now);
}

export interface ThrottleSettings {
  /** The longest wait a 429 causes, Retry-After included. */
  maxMs: number;
  /** 429s per delivery that do not count as attempts; past it a 429 is an ordinary failure. */
  limit: number;
}

/**
 * The wait after a 429: Retry-After when given (capped), otherwise THROTTLE_BASE_MS doubled for each
 * 429 in a row before this one (`streak`), capped. Never less than the base: a receiver saying
 * "Retry-After: 0" is not re-sent in a tight loop.
 */
export function throttleWaitMs(retryAfter: number | null, streak: number, maxMs: number): number {
  const wait = retryAfter ?? THROTTLE_BASE_MS * 2 ** Math.min(streak, 30);
  return Math.min(maxMs, Math.max(THROTTLE_BASE_MS, wait));
}

/** The result of a 429 the delivery may still absorb (null: its throttle limit is used up). */
export function throttledResult(
  throttledCount: number,
  waitMs: number,
  settings: ThrottleSettings,
): AttemptResult | null {
  if (throttledCount >= settings.limit) return null;
  return { status: "pending", retryInMs: waitMs, throttled: true };
}
