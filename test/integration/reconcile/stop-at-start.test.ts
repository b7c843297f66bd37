// A reconciler stopped while it is still connecting leaves no rejected promise behind.
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { closeConnection, createWorkerConnection } from "../../../src/queue/queue.js";
import { startReconciler } from "../../../src/reconcile/scheduler.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { APP, settings } from "./support.js";

let database: TestDatabase;
let db: Db;
let api: FakeApi;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
  api = await startFakeApi(APP);
});
afterAll(async () => {
  await api?.close();
  await db?.$disconnect();
  await database?.drop();
});

it("stops at start-up without 'Connection is closed' rejections", async () => {
  const rejections: unknown[] = [];
  const errors: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => void errors.push(line) });
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    for (let i = 0; i < 5; i++) {
      const config = testConfig({
        redisPrefix: testRedisPrefix(),
        databaseUrl: database.url,
        payzeroApi: { url: api.url, ...APP, queryPaths: ["/order/queryOrder"] },
        reconcile: settings,
      });
      const connection = createWorkerConnection(config);
      const reconciler = startReconciler({ config, connection, db, log, fanOut: noFanOut });
      await reconciler.stop();
      await closeConnection(connection);
    }
    // Rejections surface on a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  expect(rejections.map(String)).toEqual([]);
  expect(errors).toEqual([]);
});
