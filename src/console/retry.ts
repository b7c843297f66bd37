// The console's manual retries: exactly what POST /v1/deliveries/:id/retry and
// POST /v1/webhooks/:id/retry-failed call. The one place to adapt when the delivery internals change.
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { enqueueRearmed, isRefusal, rearmDelivery, rearmFailedOf } from "../webhooks/retry.js";
import { routeDeliveryQueue } from "../webhooks/route-support.js";

export type RetryResult = { ok: true; retried: number } | { ok: false; message: string };

export interface Retries {
  retryDelivery(id: bigint): Promise<RetryResult>;
  retryFailedOf(endpointId: string): Promise<RetryResult>;
}

export function consoleRetries(app: FastifyInstance, config: Config, db: Db): Retries {
  const withQueue = routeDeliveryQueue(app, config);
  return {
    async retryDelivery(id) {
      const result = await rearmDelivery(db, id);
      if (isRefusal(result)) return { ok: false, message: result.message };
      await withQueue((queue) => enqueueRearmed(queue, [result]));
      return { ok: true, retried: 1 };
    },
    async retryFailedOf(endpointId) {
      const result = await rearmFailedOf(db, endpointId);
      if (isRefusal(result)) return { ok: false, message: result.message };
      await withQueue((queue) => enqueueRearmed(queue, result));
      return { ok: true, retried: result.length };
    },
  };
}
