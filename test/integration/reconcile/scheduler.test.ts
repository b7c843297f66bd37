// startReconciler: the BullMQ job scheduler in the workers, with real Redis, Postgres and the fake API.
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { reconcileOrders, reconcileRuns } from "../../../src/ops/metrics.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { PayzeroClient } from "../../../src/payzero/query-api.js";
import { createWorkerConnection, RECONCILE_QUEUE } from "../../../src/queue/queue.js";
import type { RedisClient } from "../../../src/queue/redis.js";
import { redisCursor, startReconciler } from "../../../src/reconcile/scheduler.js";
import { registerRefund } from "../../../src/refunds/register.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { waitFor } from "../../support/harness.js";
import { APP, log, payzeroOrder, seedOrder, settings } from "./support.js";

let database: TestDatabase;
let db: Db;
let api: FakeApi;
const connections: RedisClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
  api = await startFakeApi(APP);
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await api?.close();
  await db?.$disconnect();
  await database?.drop();
});

function connect(config: Config): RedisClient {
  const c = createWorkerConnection(config);
  connections.push(c);
  return c;
}

describe("startReconciler", () => {
  it("registers one schedule for all worker processes and brings a stale order up to date", async () => {
    const config = testConfig({
      redisPrefix: testRedisPrefix(),
      databaseUrl: database.url,
      payzeroApi: { url: api.url, ...APP, queryPaths: ["/order/queryOrder"] },
      reconcile: { ...settings, intervalSeconds: 1 },
    });
    await seedOrder(db, "SCHED-1", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders([payzeroOrder("SCHED-1", "PAY_SUCCEED", "DECLARED")]);
    // Two worker processes, each with its own connection, register the same scheduler.
    const processes = [1, 2].map(() =>
      startReconciler({ config, connection: connect(config), db, log, fanOut: noFanOut }),
    );
    const queue = new Queue(RECONCILE_QUEUE, { connection: connect(config), prefix: config.redisPrefix });
    try {
      const order = await waitFor("the reconciler to update SCHED-1", async () => {
        const o = await db.order.findUniqueOrThrow({ where: { mchtOrderNo: "SCHED-1" } });
        return o.declareStatus === "DECLARED" ? o : undefined;
      });
      expect(order.payStatus).toBe("PAY_SUCCEED");
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.every]).sort()).toEqual([
        ["poll-refunds", 10_000],
        ["reconcile-stale-orders", 1000],
      ]);
    } finally {
      for (const p of processes) await p.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("asks about registered refunds on the same queue, with the same login, until final", async () => {
    const config = testConfig({
      redisPrefix: testRedisPrefix(),
      databaseUrl: database.url,
      payzeroApi: { url: api.url, ...APP, queryPaths: ["/order/queryOrder"] },
      reconcile: { ...settings, intervalSeconds: 1 },
    });
    await seedOrder(db, "SCHED-R", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders([payzeroOrder("SCHED-R", "PAY_SUCCEED", "NOT_DECLARED")]);
    api.setRefunds([
      {
        mchtRefundOrderNo: "SCHED-RF",
        mchtOrderNo: "SCHED-R",
        refundAmount: 1,
        statuses: ["REFUND_SUCCEED"],
      },
    ]);
    const registered = await registerRefund(
      { db, recordWrite: async () => {}, payzero: null },
      { kind: "cli", user: "test" },
      { mchtRefundOrderNo: "SCHED-RF", mchtOrderNo: "SCHED-R" },
    );
    expect(registered).toMatchObject({ created: true });
    const loginsBefore = api.state.logins;
    const reconciler = startReconciler({ config, connection: connect(config), db, log, fanOut: noFanOut });
    const queue = new Queue(RECONCILE_QUEUE, { connection: connect(config), prefix: config.redisPrefix });
    try {
      await waitFor("the refund's final status", async () => {
        const r = await db.refund.findUniqueOrThrow({ where: { mchtRefundOrderNo: "SCHED-RF" } });
        return r.refundStatus === "REFUND_SUCCEED" && r.nextPollAt === null ? r : undefined;
      });
      await waitFor("the order brought up to date", async () => {
        const o = await db.order.findUniqueOrThrow({ where: { mchtOrderNo: "SCHED-R" } });
        return o.payStatus === "PAY_SUCCEED" ? o : undefined;
      });
      expect(api.state.logins - loginsBefore).toBe(1);
      // Refund runs are not kept: the console's list of reconcile runs shows the reconciler's only.
      const kept = await queue.getJobs(["completed", "failed"]);
      expect(kept.every((j) => j.name === "reconcile")).toBe(true);
    } finally {
      await reconciler.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("never runs twice at once, even when a run outlasts the interval", async () => {
    const config = testConfig({
      redisPrefix: testRedisPrefix(),
      databaseUrl: database.url,
      payzeroApi: { url: api.url, ...APP, queryPaths: ["/order/queryOrder"] },
      reconcile: { ...settings, intervalSeconds: 1 },
    });
    await seedOrder(db, "SLOW-1", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders([payzeroOrder("SLOW-1", "PAY_APPLIED", "NOT_DECLARED")]);
    // Payzero answers each query after 1.5 s: every run lasts longer than the interval.
    const real = new PayzeroClient({ baseUrl: api.url, ...APP });
    let active = 0;
    let mostAtOnce = 0;
    let started = 0;
    const client = {
      queryOrder: async (mchtOrderNo: string) => {
        started += 1;
        active += 1;
        mostAtOnce = Math.max(mostAtOnce, active);
        await sleep(1500);
        active -= 1;
        return real.queryOrder(mchtOrderNo);
      },
    };
    const processes = [1, 2].map(() =>
      startReconciler({ config, connection: connect(config), db, log, fanOut: noFanOut, client }),
    );
    const queue = new Queue(RECONCILE_QUEUE, { connection: connect(config), prefix: config.redisPrefix });
    try {
      await waitFor("three runs", async () => started >= 3, 30_000);
      expect(mostAtOnce).toBe(1);
    } finally {
      for (const p of processes) await p.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("counts its runs by outcome and the orders it asked about by result (/metrics)", async () => {
    const runs = async (outcome: string) =>
      (await reconcileRuns.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    const orders = async (result: string) =>
      (await reconcileOrders.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    const config = testConfig({
      redisPrefix: testRedisPrefix(),
      databaseUrl: database.url,
      payzeroApi: { url: api.url, ...APP, queryPaths: ["/order/queryOrder"] },
      reconcile: { ...settings, intervalSeconds: 1 },
    });
    await seedOrder(db, "METRIC-1", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders([payzeroOrder("METRIC-1", "PAY_SUCCEED", "DECLARED")]);
    const before = {
      succeeded: await runs("succeeded"),
      failed: await runs("failed"),
      changed: await orders("changed"),
    };
    const working = startReconciler({ config, connection: connect(config), db, log, fanOut: noFanOut });
    const queue = new Queue(RECONCILE_QUEUE, { connection: connect(config), prefix: config.redisPrefix });
    try {
      await waitFor("a run that changed METRIC-1", async () => (await orders("changed")) > before.changed);
      expect(await runs("succeeded")).toBeGreaterThan(before.succeeded);
      await working.stop();
      // A database that fails the run's first query: the run fails, and is counted so.
      const failingDb = new Proxy(db, {
        get: (target, key) =>
          key === "order"
            ? { findMany: () => Promise.reject(new Error("database down")) }
            : Reflect.get(target, key),
      });
      const failing = startReconciler({
        config,
        connection: connect(config),
        db: failingDb,
        log,
        fanOut: noFanOut,
      });
      try {
        await waitFor("a failed run", async () => (await runs("failed")) > before.failed);
      } finally {
        await failing.stop();
      }
    } finally {
      await working.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("does nothing without Payzero API credentials", async () => {
    const config = testConfig({ redisPrefix: testRedisPrefix(), payzeroApi: null });
    const connection = connect(config);
    const reconciler = startReconciler({ config, connection, db, log, fanOut: noFanOut });
    await reconciler.stop();
    expect(await connection.keys(`${config.redisPrefix}*`)).toEqual([]);
  });
});

describe("redisCursor", () => {
  it("keeps the cursor with an expiry and forgets it on null", async () => {
    const config = testConfig({ redisPrefix: testRedisPrefix() });
    const connection = connect(config);
    const key = `${config.redisPrefix}:cursor`;
    const store = redisCursor(connection, key, 60);
    const cursor = { updatedAt: new Date("2026-11-26T12:00:00.000Z"), mchtOrderNo: "A" };
    await store.save(cursor);
    expect(await store.load()).toEqual(cursor);
    expect(await connection.ttl(key)).toBeGreaterThan(0);
    await store.save(null);
    expect(await store.load()).toBeNull();
  });
});
