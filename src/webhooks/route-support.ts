// What the /v1 webhook and delivery routes share: the delivery queue, id params.
import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { Config } from "../config.js";
import { closeConnection, createProducerConnection } from "../ingest/queue.js";
import { ENQUEUE_WAIT_MS, withTimeout } from "../util.js";
import { createDeliveryQueue, type DeliveryJob } from "./queue.js";

export const DeliveryId = Type.String({ pattern: "^[1-9][0-9]{0,17}$", description: "delivery id" });
export const WebhookId = Type.String({ minLength: 1, maxLength: 100 });

export type RouteQueue = (run: (queue: Queue<DeliveryJob>) => Promise<void>) => Promise<void>;

/**
 * The delivery queue of the API process, connected on first use and closed with the app. Each use is
 * bounded in time: rows are already re-armed in Postgres, so a slow Redis only delays them to the relay.
 */
export function routeDeliveryQueue(app: FastifyInstance, config: Config): RouteQueue {
  let queue: Queue<DeliveryJob> | undefined;
  let close = async () => {};
  app.addHook("onClose", async () => close());
  return async (run) => {
    if (!queue) {
      const connection = createProducerConnection(config.redisUrl);
      connection.on("error", (err) => app.log.warn({ err: err.message }, "redis (delivery retries)"));
      const created = createDeliveryQueue(connection, config.redisPrefix);
      queue = created;
      close = async () => {
        await created.close();
        await closeConnection(connection);
      };
    }
    await withTimeout(run(queue), ENQUEUE_WAIT_MS).catch((err: Error) =>
      app.log.warn({ err: err.message }, "delivery retry enqueue failed; relay will retry"),
    );
  };
}
