// One attempt of a held delivery: make sure the hold outlasts it, send the signed payload (POST or broker publish), record it.

import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Keyring } from "../../crypto/keyring.js";
import type { Db } from "../../db/client.js";
import { attemptLatency, deliveryAttempts, endpointsDisabled } from "../../ops/metrics.js";
import { SpanKind, startTraced } from "../../ops/tracing.js";
import { errorMessage } from "../../util.js";
import { openEndpoint } from "../endpoints/endpoint-sealing.js";
import { forwardedByDefault } from "../endpoints/filters.js";
import { signingSecrets } from "../endpoints/secret.js";
import type { Destinations } from "../transports/destination.js";
import type { SendOutcome } from "../transports/publisher.js";
import type { AttemptRecord, HeldDelivery } from "./delivery-queue.js";
import type { SignedRequest } from "./payload.js";
import { buildPayload, signRequest } from "./payload.js";
import { type AttemptResult, resultOf } from "./retry-schedule.js";
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
  /** Sends by the endpoint URL's scheme (HTTP, RabbitMQ, NATS) within the address rule; holds the broker connections. */
  destinations: Destinations;
  /** Opens the endpoint's sealed secrets and headers. */
  keyring: Keyring;
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
const RECORD_MARGIN_MS = 2000;

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
  const request = signedRequest(deps, row, attemptedAt);
  const attempt = row.attemptCount + 1;
  // A span of the notification's trace, whichever process sends it and however late; the endpoint
  // gets its traceparent so the merchant's systems continue the trace.
  const http = /^https?:/i.test(row.endpoint.url);
  const span =
    row.notification.traceparent == null
      ? null
      : startTraced(
          http ? "webhook POST" : "webhook publish",
          SpanKind.CLIENT,
          row.notification.traceparent,
          {
            ...(http && { "http.request.method": "POST" }),
            "server.address": safeHost(row.endpoint.url),
            "payzero.endpoint_id": row.endpointId,
            "payzero.delivery_id": String(row.id),
            "payzero.attempt": attempt,
            "payzero.content_key": row.notification.contentKey,
          },
        );
  let outcome: SendOutcome;
  if ("error" in request) {
    outcome = { ok: false, statusCode: null, error: request.error, durationMs: 0, responseExcerpt: null };
  } else {
    if (span) request.headers.traceparent = span.traceparent;
    // Broker destinations carry the same headers, traceparent included, as message headers.
    // msgType is not signed: only a type the service vouches for (forwardedByDefault) becomes a
    // routing key by default.
    const { url, ...signed } = request;
    const type = row.notification.msgType;
    const message = {
      ...signed,
      type,
      ...(forwardedByDefault(row.notification) && { defaultRoutingKey: type }),
    };
    outcome = await deps.destinations.send(url, message, deps.timeoutMs);
  }
  if (span) {
    if (outcome.statusCode !== null) span.set({ "http.response.status_code": outcome.statusCode });
    span.end(outcome.ok ? undefined : (outcome.error ?? "failed"));
  }
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
 * The signed request with the endpoint's own headers (the signature's win over them), or why there is
 * none: the endpoint's secrets or headers do not open with the configured keys.
 */
function signedRequest(
  deps: AttemptDeps,
  row: HeldDelivery,
  attemptedAt: Date,
): (SignedRequest & { url: string }) | { error: string } {
  let opened: ReturnType<typeof openEndpoint>;
  try {
    opened = openEndpoint(deps.keyring, { id: row.endpointId, ...row.endpoint });
  } catch (err) {
    return { error: `not sent: the endpoint's secret, headers or url credential ${errorMessage(err)}` };
  }
  const request = signRequest(
    signingSecrets({ ...row.endpoint, ...opened }, attemptedAt),
    buildPayload(row.notification),
    attemptedAt,
  );
  // The URL with its credential opened: only the send sees it.
  return {
    ...request,
    headers: { ...opened.headers, ...request.headers },
    url: opened.url ?? row.endpoint.url,
  };
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
    if (await disableIfFailingTooLong(deps.db, endpointId, afterSeconds, new Date())) {
      endpointsDisabled.inc({ endpoint: endpointId });
      deps.log.warn({ endpointId }, "endpoint disabled: failing without a success for too long");
    }
  } catch (err) {
    // The next failure checks again; the attempt itself must still be recorded.
    deps.log.warn({ err, endpointId }, "endpoint health not checked");
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
          { err, deliveryId: String(record.claimed.id) },
          "attempt not recorded; the delivery will be sent again",
        );
        return;
      }
      await sleep(pause);
    }
  }
}

/** Every outcome's series from an endpoint's first attempt: increase() misses a series' first sample. */
const ATTEMPT_OUTCOMES = ["succeeded", "failed_attempt", "throttled", "failed"];

function recordMetrics(endpointId: string, durationMs: number, outcome: string): void {
  for (const o of ATTEMPT_OUTCOMES)
    deliveryAttempts.inc({ endpoint: endpointId, outcome: o }, o === outcome ? 1 : 0);
  endpointsDisabled.inc({ endpoint: endpointId }, 0);
  attemptLatency.observe({ endpoint: endpointId }, durationMs / 1000);
}

/** The host alone: an endpoint URL may carry credentials or tokens, which a trace must not. */
function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

/**
 * Disables an endpoint that has failed without a single success for `afterSeconds` (its
 * failingSince is that old). Its pending deliveries then fail as "endpoint disabled"; PATCH
 * enabled: true turns it back on. Returns whether it was disabled now.
 */
async function disableIfFailingTooLong(db: Db, endpointId: string, afterSeconds: number, now: Date) {
  const { count } = await db.webhookEndpoint.updateMany({
    where: {
      id: endpointId,
      enabled: true,
      failingSince: { lte: new Date(now.getTime() - afterSeconds * 1000) },
    },
    data: { enabled: false, updatedAt: now },
  });
  return count === 1;
}
