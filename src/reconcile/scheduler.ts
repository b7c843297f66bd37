// The reconciler as a BullMQ job scheduler: every worker process registers the same scheduler and runs a
// worker for its queue, so a run happens once per interval whatever the number of processes.
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { throttledLog } from "../ops/log-throttle.js";
import { reconcileOrders, reconcileRuns } from "../ops/metrics.js";
import type { FanOut } from "../orders/notification.js";
import { PayzeroClient } from "../payzero/query-api.js";
import { BackoffWorker } from "../queue/full-redis.js";
import { redisKeys } from "../queue/keys.js";
import {
  closeWorker,
  createReconcileQueue,
  RECONCILE_QUEUE,
  RECONCILE_SCHEDULER,
  REFUND_POLL_SCHEDULER,
  reconcileJobOptions,
  reconcileWorkerOptions,
  refundPollJobOptions,
} from "../queue/queue.js";
import type { RedisClient } from "../queue/redis.js";
import { pollRefundsOnce } from "../refunds/poll.js";
import { REFUND_POLL_EVERY_MS } from "../refunds/schedule.js";
import { decodeCursor, encodeCursor } from "./policy.js";
import { type CursorStore, type ReconcileResult, reconcileOnce } from "./reconcile.js";

export interface ReconcilerDeps {
  config: Config;
  /** A worker connection (maxRetriesPerRequest null); the caller closes it. */
  connection: RedisClient;
  db: Db;
  log: Logger;
  fanOut: FanOut;
  /** Default: a PayzeroClient on config.payzeroApi. One without queryRefund (a test's) polls no refund. */
  client?: Pick<PayzeroClient, "queryOrder"> & Partial<Pick<PayzeroClient, "queryRefund">>;
}

export interface Reconciler {
  stop: () => Promise<void>;
}

export function startReconciler(deps: ReconcilerDeps): Reconciler {
  const api = deps.config.payzeroApi;
  if (api === null) return { stop: async () => {} };
  const { redisPrefix: prefix, reconcile: settings } = deps.config;
  // One client for every run, of orders and of refunds: its login is shared until the token is due for renewal.
  const client =
    deps.client ??
    new PayzeroClient({ baseUrl: api.url, appId: api.appId, appKey: api.appKey, queryPaths: api.queryPaths });
  const keys = redisKeys(prefix);
  const cursor = redisCursor(deps.connection, keys.reconcileCursor, settings.maxAgeSeconds);
  const abandonedCursor = redisCursor(deps.connection, keys.reconcileAbandonedCursor, settings.maxAgeSeconds);
  const queue = createReconcileQueue(deps.connection, prefix);
  // One run at a time in all processes: a run that outlasts the interval (Payzero slow) delays the next
  // instead of running beside it.
  const scheduled = queue
    .setGlobalConcurrency(1)
    .then(() =>
      queue.upsertJobScheduler(
        RECONCILE_SCHEDULER,
        { every: settings.intervalSeconds * 1000 },
        { name: "reconcile", opts: reconcileJobOptions },
      ),
    )
    // Registered refunds are asked about on the same queue: never beside a reconcile run, so both
    // together keep to RECONCILE_RATE_PER_SECOND (src/refunds/schedule.ts).
    .then(() =>
      queue.upsertJobScheduler(
        REFUND_POLL_SCHEDULER,
        { every: REFUND_POLL_EVERY_MS },
        { name: REFUND_POLL_SCHEDULER, opts: refundPollJobOptions },
      ),
    )
    .catch((err: Error) => deps.log.error({ err }, "reconciler not scheduled"));
  // Both series from the start: an alert on failed runs, or on no run at all, has something to read.
  for (const outcome of ["succeeded", "failed"]) reconcileRuns.inc({ outcome }, 0);
  const worker = new BackoffWorker<unknown, ReconcileResult>(
    RECONCILE_QUEUE,
    async (job) => {
      if (job.name === REFUND_POLL_SCHEDULER) {
        const queryRefund = client.queryRefund?.bind(client);
        if (!queryRefund) return { queried: 0, changed: 0, failed: 0 };
        const polled = await pollRefundsOnce({ ...deps, client: { queryRefund }, settings });
        if (polled.queried > 0) deps.log.info(polled, "refund poll run finished");
        return polled;
      }
      const result = await reconcileOnce({ ...deps, client, settings, cursor, abandonedCursor });
      reconcileRuns.inc({ outcome: "succeeded" });
      reconcileOrders.inc({ result: "changed" }, result.changed);
      reconcileOrders.inc({ result: "failed" }, result.failed);
      reconcileOrders.inc({ result: "unchanged" }, result.queried - result.changed - result.failed);
      deps.log.info(result, "reconcile run finished");
      return result;
    },
    reconcileWorkerOptions(deps.connection, prefix),
  );
  const failures = throttledLog(deps.log);
  worker.on("closed", () => failures.stop());
  worker.on("failed", (job, err) => {
    if (job?.name === REFUND_POLL_SCHEDULER) return failures.warn({ err }, "refund poll run failed");
    reconcileRuns.inc({ outcome: "failed" });
    failures.warn({ err }, "reconcile run failed");
  });
  worker.on("error", (err) => failures.error({ err }, "reconcile worker error"));
  deps.log.info({ every: settings.intervalSeconds, stale: settings.staleSeconds }, "reconciler started");
  return {
    // Closed before its setup commands are answered, BullMQ rejects them with "Connection is closed".
    stop: async () => {
      await scheduled;
      await closeWorker(worker);
      await queue.close();
    },
  };
}

/** The walk's position, shared by every worker process; forgotten after maxAge (no order is older). */
export function redisCursor(redis: RedisClient, key: string, ttlSeconds: number): CursorStore {
  return {
    load: async () => decodeCursor(await redis.get(key)),
    save: async (c) => {
      if (c === null) await redis.del(key);
      else await redis.set(key, encodeCursor(c), "EX", ttlSeconds);
    },
  };
}
