// When a registered refund is asked about (Payzero section 9.2), pure. Payzero sends no notification
// for refunds, so the service polls: at the next run after registration (runs start every
// REFUND_POLL_EVERY_MS), then after 10 s, 20 s, 40 s … doubling up to 10 minutes between queries,
// until a final status (A.8: REFUND_SUCCEED, REFUND_FAILED). A refund still not final
// RECONCILE_MAX_AGE_SECONDS after its registration is given up, like an order the reconciler stops
// chasing; a query that fails counts as a step of the same backoff.
import { doublingDelay } from "../util.js";

/** How often the refund poll runs (a BullMQ job scheduler beside the reconciler's; scheduler.ts). */
export const REFUND_POLL_EVERY_MS = 10_000;
export const FIRST_DELAY_MS = 10_000;
export const MAX_DELAY_MS = 10 * 60_000;
/** Most queries in one run, at the reconciler's rate, so a run ends within about this long. */
const RUN_SECONDS = 10;

/** The wait after the `polls`-th query (1-based). */
export function pollDelayMs(polls: number): number {
  return doublingDelay(polls, FIRST_DELAY_MS, MAX_DELAY_MS);
}

/**
 * When to ask next after the `polls`-th query, or null: never again (final, or too old to chase).
 * `now` and `createdAt` are both Postgres's clock.
 */
export function nextPollAt(
  polls: number,
  final: boolean,
  createdAt: Date,
  now: Date,
  maxAgeSeconds: number,
): Date | null {
  if (final) return null;
  const next = new Date(now.getTime() + pollDelayMs(polls));
  return next.getTime() - createdAt.getTime() > maxAgeSeconds * 1000 ? null : next;
}

/** How many due refunds one run asks about. */
export function runSize(batchSize: number, ratePerSecond: number): number {
  return Math.max(1, Math.min(batchSize, Math.floor(ratePerSecond * RUN_SECONDS)));
}
