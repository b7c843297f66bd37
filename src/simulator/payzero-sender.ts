// Payzero's side of a notification (section 3): sign it with the signToken, POST it, and send it again
// on the resend schedule until the receiver answers "OK".
import { setTimeout as delay } from "node:timers/promises";
import { payzeroSign } from "../payzero/sign.js";
import { errorMessage } from "../util.js";
import { delayBefore } from "./resend-schedule.js";

export interface NotifyTarget {
  url: string;
  signToken: string;
  /** Offsets of the attempts from the first send (PAYZERO_RESEND_OFFSETS_MS, maybe scaled). */
  offsetsMs: readonly number[];
  /** Payzero waits 5 s for an answer. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onAttempt?: (report: AttemptReport) => void;
}

export interface AttemptReport {
  msgType: string;
  attempt: number;
  status: number | null;
  answer: string;
  delivered: boolean;
}

export interface SimNotification {
  msgType: string;
  msgBody: string;
}

export interface SignedEnvelope {
  timestamp: number;
  msgType: string;
  msgBody: string;
  sign: string;
}

export function signNotification(signToken: string, n: SimNotification, timestamp: number): SignedEnvelope {
  return {
    timestamp,
    msgType: n.msgType,
    msgBody: n.msgBody,
    sign: payzeroSign(signToken, String(timestamp), n.msgBody),
  };
}

/** Sends until the answer is exactly "OK" or the schedule is used up. */
export async function sendWithResends(
  n: SimNotification,
  target: NotifyTarget,
): Promise<{ delivered: boolean; attempts: number }> {
  const now = target.now ?? Date.now;
  const sleep = target.sleep ?? ((ms: number) => delay(ms));
  const start = now();
  for (let attempt = 0; attempt < target.offsetsMs.length; attempt++) {
    await sleep(delayBefore(target.offsetsMs, attempt, now() - start));
    const report = await postOnce(n, target, attempt, now());
    target.onAttempt?.(report);
    if (report.delivered) return { delivered: true, attempts: attempt + 1 };
  }
  return { delivered: false, attempts: target.offsetsMs.length };
}

async function postOnce(n: SimNotification, target: NotifyTarget, attempt: number, timestamp: number) {
  const base = { msgType: n.msgType, attempt };
  try {
    const res = await (target.fetch ?? globalThis.fetch)(target.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signNotification(target.signToken, n, timestamp)),
      signal: AbortSignal.timeout(target.timeoutMs ?? 5000),
    });
    const answer = await res.text();
    return {
      ...base,
      status: res.status,
      answer: answer.slice(0, 200),
      delivered: res.ok && answer === "OK",
    };
  } catch (err) {
    return {
      ...base,
      status: null,
      answer: errorMessage(err),
      delivered: false,
    };
  }
}

/** Sends every notification with resends, `concurrency` at a time, in order of the list. */
export async function sendAll(
  list: readonly SimNotification[],
  target: NotifyTarget,
  concurrency: number,
): Promise<{ delivered: number; undelivered: number }> {
  let next = 0;
  let delivered = 0;
  const lane = async () => {
    while (next < list.length) {
      const n = list[next++]!;
      if ((await sendWithResends(n, target)).delivered) delivered++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return { delivered, undelivered: list.length - delivered };
}
