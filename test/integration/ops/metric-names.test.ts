// Every metric the Grafana dashboard and the alert rules ask for is one the service serves: the
// whole pipeline runs (receiver, worker, webhook delivery, reconciler) until its labelled series
// exist, /metrics is scraped over HTTP with its token, and each PromQL selector of deploy/ must name
// an exposed metric, with label matchers on labels that metric carries.
import { Queue } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchQueue } from "../../../src/ops/metrics.js";
import { closeConnection, createWorkerConnection, RECONCILE_QUEUE } from "../../../src/queue/queue.js";
import type { RedisClient } from "../../../src/queue/redis.js";
import { type Reconciler, startReconciler } from "../../../src/reconcile/scheduler.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { dashboardExpressions, exposedNames, ruleExpressions, selectorsOf } from "./promql.js";

/** Labels Prometheus adds to every scraped series itself. */
const TARGET_LABELS = new Set(["job", "instance"]);
const METRICS_TOKEN = "metric-names-test-token-0123456789";

let p: Pipeline;
let receiver: Receiver;
let reconciler: Reconciler;
let connection: RedisClient;
let base: string;
let unwatch: () => void;

beforeAll(async () => {
  p = await startPipeline({
    webhookRetrySchedule: [0],
    webhookPollIntervalMs: 200,
    metricsToken: METRICS_TOKEN,
    payzeroApi: { url: "http://127.0.0.1:9", appId: "app", appKey: "key", queryPaths: ["/order/queryOrder"] },
  });
  receiver = await startReceiver();
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  unwatch = watchQueue(p.queue);
  connection = createWorkerConnection(p.config);
  const config = { ...p.config, reconcile: { ...p.config.reconcile, intervalSeconds: 1 } };
  // No order is stale: a run asks Payzero nothing, and counts its orders (none) by result.
  const client = { queryOrder: async () => Promise.reject(new Error("not asked in this test")) };
  reconciler = startReconciler({
    config,
    connection,
    db: p.db,
    log: pino({ level: "silent" }),
    fanOut: webhooks.fanOut,
    client,
  });
  base = await p.app.listen({ host: "127.0.0.1", port: 0 });
}, 60_000);
afterAll(async () => {
  unwatch?.();
  await reconciler?.stop();
  const queue = new Queue(RECONCILE_QUEUE, { connection, prefix: p.config.redisPrefix });
  await queue.obliterate({ force: true });
  await queue.close();
  await closeConnection(connection);
  await p?.close();
  await receiver?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

async function until(what: string, check: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape();
    if (check(text)) return text;
    if (Date.now() > deadline) throw new Error(`no ${what} in /metrics within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the metrics of deploy/grafana and deploy/prometheus", () => {
  it("are all served by the service, with the labels their matchers use", async () => {
    const created = await p.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: p.authorized,
      payload: { url: receiver.url("/hook"), description: "metric names" },
    });
    expect(created.statusCode).toBe(201);
    const env = signedEnvelope(
      "PAY_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: "MN-1", payStatus: "PAY_SUCCEED" }),
    );
    const posted = await fetch(`${base}/payzero/notify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(env),
    });
    expect(posted.status).toBe(200);
    const text = await until(
      "delivery, lag and reconcile series",
      (t) =>
        /^pzn_delivery_attempts_total\{.*outcome="succeeded".*\} 1$/m.test(t) &&
        /^pzn_notification_lag_seconds_count \d/m.test(t) &&
        /^pzn_reconcile_orders_total\{result="changed"\} 0$/m.test(t),
    );
    const exposed = exposedNames(text);

    const expressions = [...dashboardExpressions(), ...ruleExpressions()];
    const problems: string[] = [];
    const used = new Set<string>();
    for (const { source, expr } of expressions) {
      for (const { metric, labels } of selectorsOf(expr)) {
        used.add(metric);
        const served = exposed.get(metric);
        if (!served) {
          problems.push(`${source}: ${metric || "(a selector without a metric name)"} is not served`);
          continue;
        }
        for (const label of labels)
          if (!served.has(label) && !TARGET_LABELS.has(label))
            problems.push(`${source}: ${metric} has no label ${label}`);
      }
    }
    expect(problems).toEqual([]);
    // The files say something: both sources hold expressions, over the service's own metrics.
    expect(dashboardExpressions().length).toBeGreaterThan(10);
    expect(ruleExpressions().length).toBeGreaterThan(5);
    for (const name of ["pzn_notifications_received_total", "pzn_queue_jobs", "pzn_delivery_attempts_total"])
      expect(used).toContain(name);
  }, 60_000);
});

describe("reading PromQL", () => {
  it("finds metric names through functions, aggregations, binary operators and __name__", () => {
    const expr =
      'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="1"}[$__rate_interval]))) > 1 and on () changes(b[1h]) or {__name__="c_total", y=~"z"}';
    expect(selectorsOf(expr)).toEqual([
      { metric: "a_bucket", labels: ["x"] },
      { metric: "b", labels: [] },
      { metric: "c_total", labels: ["y"] },
    ]);
  });

  it("refuses an expression that does not parse", () => {
    expect(() => selectorsOf("sum(rate(a[5m])")).toThrow(/does not parse/);
  });

  it("derives histogram series names from the exposition's TYPE lines", () => {
    const names = exposedNames('# TYPE h histogram\n# TYPE c_total counter\nc_total{k="v"} 1\n');
    expect([...names.keys()].sort()).toEqual(["c_total", "h_bucket", "h_count", "h_sum"]);
    expect([...names.get("c_total")!]).toEqual(["k"]);
  });
});
