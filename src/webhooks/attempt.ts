// One job = one attempt: claim the row, POST the payload built from the stored notification, record it.
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { attemptLatency, deliveryAttempts } from "../ops/metrics.js";
import type { DeliveryStore } from "./delivery-store.js";
import type { EndpointGate } from "./endpoint-gate.js";
import { disableIfFailingTooLong } from "./endpoint-health.js";
import { buildPayload, signRequest } from "./payload.js";
import { resultOf } from "./schedule.js";
import { signingSecrets } from "./secret.js";
import { postWebhook } from "./send.js";
import { failWithoutAttempt } from "./store.js";

export interface AttemptDeps {
  db: Db;
  /** Loads, claims and records attempts, batched (createDeliveryStore). */
  store: DeliveryStore;
  log: Logger;
  retrySchedule: readonly number[];
  timeoutMs: number;
  /** Extra time past the timeout before the relay may take over a claimed row. */
  leaseGraceMs: number;
  /** Per-endpoint bound on attempts in flight in this process (absent: no bound). */
  gate?: EndpointGate;
  /** An endpoint failing this long without a success is disabled (absent: never). */
  disableAfterSeconds?: number;
  /** Enqueues the next attempt of a row (after `delayMs`). */
  scheduleNext: (deliveryId: bigint, attempt: number, delayMs: number) => Promise<void>;
}

/** How long an attempt waits for a slot of its endpoint before stepping aside. */
const GATE_WAIT_MS = 100;

export type AttemptOutcome = "gone" | "stale" | "disabled" | "busy" | "succeeded" | "retrying" | "failed";

export async function runAttempt(
  deps: AttemptDeps,
  deliveryId: bigint,
  attempt: number,
): Promise<AttemptOutcome> {
  const row = await deps.store.load(deliveryId);
  if (!row) return "gone";
  if (row.status !== "pending" || row.attemptCount !== attempt) return "stale";
  if (!row.endpoint.enabled) {
    await failWithoutAttempt(deps.db, deliveryId, attempt, "endpoint disabled");
    return "disabled";
  }
  if (deps.gate && !(await deps.gate.enter(row.endpointId, GATE_WAIT_MS))) return "busy";
  try {
    return await attemptClaimed(deps, row, attempt);
  } finally {
    deps.gate?.leave(row.endpointId);
  }
}

type DeliveryRow = NonNullable<Awaited<ReturnType<DeliveryStore["load"]>>>;

async function attemptClaimed(deps: AttemptDeps, row: DeliveryRow, attempt: number): Promise<AttemptOutcome> {
  const deliveryId = row.id;
  const attemptedAt = new Date();
  const leaseUntil = new Date(attemptedAt.getTime() + deps.timeoutMs + deps.leaseGraceMs);
  if (!(await deps.store.claim({ id: deliveryId, attempt, leaseUntil }))) return "stale";

  const request = signRequest(
    signingSecrets(row.endpoint, attemptedAt),
    buildPayload(row.notification),
    attemptedAt,
  );
  const outcome = await postWebhook(row.endpoint.url, request, deps.timeoutMs);
  const result = resultOf(outcome.ok, deps.retrySchedule, attempt + 1, new Date());
  const claimed = { id: deliveryId, endpointId: row.endpointId, attemptCount: attempt + 1 };
  await deps.store.record({ claimed, attemptedAt, outcome, result });
  recordMetrics(
    row.endpointId,
    outcome.durationMs,
    result.status === "pending" ? "failed_attempt" : result.status,
  );
  if (!outcome.ok && deps.disableAfterSeconds !== undefined) {
    if (await disableIfFailingTooLong(deps.db, row.endpointId, deps.disableAfterSeconds, new Date())) {
      deps.log.warn(
        { endpointId: row.endpointId },
        "endpoint disabled: failing without a success for too long",
      );
    }
  }
  deps.log.info(
    {
      contentKey: row.notification.contentKey,
      deliveryId: String(deliveryId),
      endpointId: row.endpointId,
      attempt: attempt + 1,
      status: result.status,
      statusCode: outcome.statusCode,
      error: outcome.error,
    },
    "webhook attempt",
  );
  if (result.retryAt) {
    // A lost enqueue here is repaired by the relay once retryAt has passed.
    await deps.scheduleNext(deliveryId, attempt + 1, Math.max(0, result.retryAt.getTime() - Date.now()));
    return "retrying";
  }
  return result.status === "succeeded" ? "succeeded" : "failed";
}

function recordMetrics(endpointId: string, durationMs: number, outcome: string): void {
  deliveryAttempts.inc({ endpoint: endpointId, outcome });
  attemptLatency.observe({ endpoint: endpointId }, durationMs / 1000);
}
