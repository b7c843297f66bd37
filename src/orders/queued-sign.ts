// The worker's check of a queued message (pure): Redis is not trusted, so what the receiver verified
// travels with the job (sign, timestamp, body, the charset it matched over) and is verified again
// here before the message may change an order or become a webhook. docs/guarantees.md, "Signed".
import { isSignCharset, verifyPayzeroSignOver } from "../payzero/sign.js";
import type { NotificationMessage } from "../queue/queue.js";

/** As the receiver takes it (payzero/envelope.ts): a job that names anything else was not queued by it. */
const TIMESTAMP = /^[0-9]{1,18}$/;

export const QUEUED_REJECTIONS = ["bad_sign_in_queue", "unsigned_in_queue"] as const;
type QueuedRejection = (typeof QUEUED_REJECTIONS)[number];

export type QueuedCheck =
  | { ok: true; sign: string }
  /** A job of a receiver older than signed jobs, applied within UNSIGNED_JOBS_GRACE_SECONDS. */
  | { ok: true; sign: null }
  | { ok: false; reason: QueuedRejection };

export interface UnsignedPolicy {
  /** Date.now() when this worker started. */
  startedAt: number;
  /** UNSIGNED_JOBS_GRACE_SECONDS, in ms. */
  graceMs: number;
}

/**
 * A message with a sign is applied only if the sign matches one of `signTokens` over the charset the
 * receiver named. One without (an older receiver's) only when its job was queued before this worker
 * started and the worker started less than the grace ago: the backlog of an upgrade, not a job
 * written into Redis since (which could name any time it likes, hence the bound).
 */
export function checkQueued(
  message: NotificationMessage,
  jobQueuedAt: number,
  signTokens: readonly string[],
  unsigned: UnsignedPolicy,
  now: number,
): QueuedCheck {
  if (message.sign === undefined && message.signedOver === undefined) {
    const backlog = jobQueuedAt < unsigned.startedAt && now - unsigned.startedAt < unsigned.graceMs;
    return backlog ? { ok: true, sign: null } : { ok: false, reason: "unsigned_in_queue" };
  }
  const { sign, signedOver, timestamp, msgBody } = message;
  const fields = [sign, timestamp, msgBody, message.msgType];
  if (fields.some((f) => typeof f !== "string") || !isSignCharset(signedOver) || !TIMESTAMP.test(timestamp))
    return { ok: false, reason: "bad_sign_in_queue" };
  return verifyPayzeroSignOver(signTokens, timestamp, msgBody, sign as string, signedOver)
    ? { ok: true, sign: sign as string }
    : { ok: false, reason: "bad_sign_in_queue" };
}
