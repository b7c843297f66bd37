// The console's manual retries: exactly what POST /v1/deliveries/:id/retry and
// POST /v1/webhooks/:id/retry-failed call (the rows become due in Postgres, for one attempt each).
import type { Db } from "../db/client.js";
import { isRefusal } from "../refusal.js";
import { rearmDelivery, rearmFailedOf } from "../webhooks/delivery/manual-retry.js";

type RetryResult = { ok: true; retried: number } | { ok: false; message: string };

export interface Retries {
  retryDelivery(id: bigint): Promise<RetryResult>;
  retryFailedOf(endpointId: string): Promise<RetryResult>;
}

export function consoleRetries(db: Db): Retries {
  return {
    async retryDelivery(id) {
      const result = await rearmDelivery(db, id);
      return isRefusal(result) ? { ok: false, message: result.message } : { ok: true, retried: 1 };
    },
    async retryFailedOf(endpointId) {
      const result = await rearmFailedOf(db, endpointId);
      return isRefusal(result)
        ? { ok: false, message: result.message }
        : { ok: true, retried: result.length };
    },
  };
}
