// Prometheus metrics (prom-client). One registry per process; every stage records into it.

import { isMainThread } from "node:worker_threads";
import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";
import { bearerAuth } from "../api/bearer-auth.js";
import { withTimeout } from "../util.js";
import { PROBE_LOG_LEVEL } from "./health.js";

export const registry = new Registry();
// A worker thread (WORKER_MODE=thread) reads the same process's CPU and memory as the main thread: its
// default metrics carry thread="worker" so that /metrics does not add them to the main thread's.
collectDefaultMetrics({ register: registry, ...(isMainThread ? {} : { labels: { thread: "worker" } }) });

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const notificationsReceived = new Counter({
  name: "pzn_notifications_received_total",
  help: "Notifications POSTed by Payzero, by msgType and outcome (accepted, duplicate, bad_sign, bad_request, unavailable)",
  labelNames: ["msg_type", "outcome"] as const,
  registers: [registry],
});

export const receiveLatency = new Histogram({
  name: "pzn_notification_receive_seconds",
  help: "Time from request to answer at the notify endpoint",
  labelNames: ["status"] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const notificationsProcessed = new Counter({
  name: "pzn_notifications_processed_total",
  help: "Notifications applied by the workers, by msgType and result (changed, unchanged, duplicate, problem)",
  labelNames: ["msg_type", "result"] as const,
  registers: [registry],
});

export const notificationsRejected = new Counter({
  name: "pzn_notifications_rejected_total",
  help: "Queued notifications the workers refused to apply, by reason (bad_sign_in_queue: the sign does not match what the job holds; unsigned_in_queue: a job without a sign, outside UNSIGNED_JOBS_GRACE_SECONDS)",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export const processingLatency = new Histogram({
  name: "pzn_notification_processing_seconds",
  help: "Time a worker takes to apply one notification (its batch's transaction, and the wait for it)",
  buckets: latencyBuckets,
  registers: [registry],
});

export const orderStatusChanges = new Counter({
  name: "pzn_order_status_changes_total",
  help: "Order state changes, by the pay and declare status the order moved to",
  labelNames: ["pay_status", "declare_status"] as const,
  registers: [registry],
});

export const deliveryAttempts = new Counter({
  name: "pzn_delivery_attempts_total",
  help: "Webhook POSTs, by endpoint and outcome (succeeded, failed_attempt, failed, throttled: a 429 that paused the endpoint)",
  labelNames: ["endpoint", "outcome"] as const,
  registers: [registry],
});

export const attemptLatency = new Histogram({
  name: "pzn_delivery_attempt_seconds",
  help: "Duration of one webhook POST",
  labelNames: ["endpoint"] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const endpointsDisabled = new Counter({
  name: "pzn_endpoints_disabled_total",
  help: "Endpoints disabled for failing without a success for ENDPOINT_DISABLE_AFTER_SECONDS, by endpoint",
  labelNames: ["endpoint"] as const,
  registers: [registry],
});

/** The endpoint ids the delivery metrics have series for. */
export async function labelledEndpoints(): Promise<string[]> {
  const all = await Promise.all([deliveryAttempts.get(), attemptLatency.get(), endpointsDisabled.get()]);
  return [...new Set(all.flatMap((m) => m.values).map((v) => String(v.labels.endpoint)))];
}

/** Drops the delivery metrics' series of these endpoints (deleted ones: they would stay for good). */
export async function forgetEndpoints(endpointIds: readonly string[]): Promise<void> {
  const gone = new Set(endpointIds);
  for (const { labels } of (await deliveryAttempts.get()).values) {
    if (gone.has(String(labels.endpoint))) deliveryAttempts.remove(labels);
  }
  for (const endpoint of gone) {
    attemptLatency.remove({ endpoint });
    endpointsDisabled.remove({ endpoint });
  }
}

export const notificationLag = new Histogram({
  name: "pzn_notification_lag_seconds",
  help: "Time from the receiver's answer to the notification's apply by a worker (queue wait included)",
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  registers: [registry],
});

export const reconcileRuns = new Counter({
  name: "pzn_reconcile_runs_total",
  help: "Reconciler runs, by outcome (succeeded, failed: the run stopped on an error)",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const reconcileOrders = new Counter({
  name: "pzn_reconcile_orders_total",
  help: "Orders the reconciler asked Payzero about, by result (changed, unchanged, failed)",
  labelNames: ["result"] as const,
  registers: [registry],
});

export const workerProcessRestarts = new Counter({
  name: "pzn_worker_process_restarts_total",
  help: "Times the worker child process of role all died and was started again",
  registers: [registry],
});

type HeldCounts = () => { inFlight: number; waiting: number };
const heldCounts = new Set<HeldCounts>();

/** Reports the deliveries a webhook dispatcher holds (in flight, waiting for a slot) on every scrape. */
export function watchDeliveries(counts: HeldCounts): () => void {
  heldCounts.add(counts);
  return () => heldCounts.delete(counts);
}

new Gauge({
  name: "pzn_deliveries_held",
  help: "Deliveries held by the worker processes: attempts in flight and rows waiting for an endpoint slot",
  labelNames: ["state"] as const,
  registers: [registry],
  // Each process holds its own rows: merged, they add up.
  aggregator: "sum",
  collect() {
    let inFlight = 0;
    let waiting = 0;
    for (const counts of heldCounts) {
      const c = counts();
      inFlight += c.inFlight;
      waiting += c.waiting;
    }
    this.set({ state: "in_flight" }, inFlight);
    this.set({ state: "waiting" }, waiting);
  },
});

const watchedQueues = new Set<Queue>();

/** Reports the queue's waiting, delayed and failed jobs on every scrape. */
export function watchQueue(queue: Queue): () => void {
  watchedQueues.add(queue);
  return () => watchedQueues.delete(queue);
}

new Gauge({
  name: "pzn_queue_jobs",
  help: "Jobs in each BullMQ queue, by state",
  labelNames: ["queue", "state"] as const,
  registers: [registry],
  // Every process of a service reads the same queues: merged, they must not add up.
  aggregator: "max",
  async collect() {
    this.reset();
    const queues = [...watchedQueues];
    const all = await Promise.all(queues.map(jobCounts));
    for (const [i, counts] of all.entries()) {
      for (const [state, n] of Object.entries(counts ?? {})) this.set({ queue: queues[i]!.name, state }, n);
    }
  },
});

/**
 * used_memory / maxmemory of the Redis master holding the notification queue, as the receiver last
 * read it (src/queue/headroom.ts, every second); 0 when Redis has no maxmemory. The receiver refuses
 * at REDIS_ACCEPT_MAX_MEMORY_RATIO; past 1, Redis refuses writes.
 */
export const redisMemoryUsedRatio = new Gauge({
  name: "pzn_redis_memory_used_ratio",
  help: "Redis used_memory / maxmemory as the receiver last read it (0: no maxmemory)",
  registers: [registry],
  aggregator: "max",
});

/** How long a scrape waits for a queue's counts: a hung Redis must not hang /metrics with it. */
const QUEUE_COUNTS_TIMEOUT_MS = 1000;

/** The queue's counts by state; null when Redis fails or does not answer in time. */
function jobCounts(queue: Queue): Promise<Record<string, number> | null> {
  const counts = queue.getJobCounts("waiting", "delayed", "failed", "active");
  return withTimeout(counts, QUEUE_COUNTS_TIMEOUT_MS).catch(() => null);
}

type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;
const sources = new Set<MetricsSource>();

/** Adds another process's metrics to this one's /metrics (role `all`: the worker process's). */
export function addMetricsSource(source: MetricsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

async function metricsText(): Promise<string> {
  if (sources.size === 0) return registry.metrics();
  const all = await Promise.all([registry.getMetricsAsJSON(), ...[...sources].map((s) => s())]);
  return AggregatorRegistry.aggregate(all).metrics();
}

export interface MetricsRouteOptions {
  /** Empty: /metrics is open to anyone who reaches the port; else it asks for this bearer token. */
  token: string;
}

export async function metricsRoute(app: FastifyInstance, opts: MetricsRouteOptions): Promise<void> {
  app.get(
    "/metrics",
    {
      logLevel: PROBE_LOG_LEVEL,
      ...(opts.token !== "" && { onRequest: bearerAuth(opts.token) }),
      schema: {
        description:
          "Prometheus metrics of this service's processes (Authorization: Bearer <METRICS_TOKEN> when it is set).",
        tags: ["ops"],
        hide: false,
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await metricsText()),
  );
}

export const retentionRemoved = new Counter({
  name: "pzn_retention_removed_total",
  help: "Rows removed by retention (RETENTION_DAYS), by kind (deliveries, delivery_attempts, notification_bodies), and orders whose personal data it erased (personal_data, PERSONAL_DATA_RETENTION_DAYS)",
  labelNames: ["kind"] as const,
  registers: [registry],
});

export const retentionLastRun = new Gauge({
  name: "pzn_retention_last_run_timestamp_seconds",
  help: "When this process last finished a retention run (unix time); absent while retention is off",
  registers: [registry],
  // The latest of the processes' runs.
  aggregator: "max",
});
