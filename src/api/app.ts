// buildApiApp(deps) → the api role's app: the receiver (given the notification queue), the /v1 API and
// the operator console, on buildApp's base (probes, /metrics, OpenAPI, the error answer). startApi
// listens on it; the tests inject into the same app. With ADMIN_PORT, buildApiListeners makes two:
// the public one (the receiver and /healthz) and the admin one (everything else).
import type { Queue } from "bullmq";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { auditDeps } from "../audit/deps.js";
import { auditWrites, type RecordWrite } from "../audit/record.js";
import type { Config } from "../config.js";
import { type ConsoleDeps, consoleUi } from "../console/index.js";
import { type Db, pingDatabase } from "../db/client.js";
import { ordersDeps, payzeroAsk } from "../orders/deps.js";
import type { NotificationBatch } from "../queue/queue.js";
import type { RedisClient } from "../queue/redis.js";
import { buildApp, type Listener } from "../server.js";
import { tokensDeps } from "../tokens/deps.js";
import { webhookDeps } from "../webhooks/deps.js";
import { auditRoutes } from "./audit.js";
import { deliveryRoutes } from "./deliveries.js";
import { notificationRoutes } from "./notifications.js";
import { orderRoutes } from "./orders.js";
import { expectedRoutes } from "./orders-expected.js";
import { orderPersonalDataRoutes } from "./orders-personal-data.js";
import { queryRoutes } from "./orders-query.js";
import { retryRoutes } from "./orders-retries.js";
import { refundRoutes } from "./refunds.js";
import { tokenRoutes } from "./tokens.js";
import { type V1RouteModule, v1Api } from "./v1.js";
import { webhookRoutes } from "./webhooks.js";
import { backfillRoutes } from "./webhooks-backfill.js";

/** Every /v1 route file. */
const V1_ROUTES: readonly V1RouteModule[] = [
  orderRoutes,
  orderPersonalDataRoutes,
  expectedRoutes,
  refundRoutes,
  retryRoutes,
  queryRoutes,
  notificationRoutes,
  webhookRoutes,
  deliveryRoutes,
  backfillRoutes,
  auditRoutes,
  tokenRoutes,
];

export interface ApiAppDeps {
  config: Config;
  db: Db;
  /** The receiver's queue: POST /payzero/notify is served only with it. */
  notificationQueue?: Queue<NotificationBatch>;
  /** The producer connection: the readiness probe, the console's queue figures. */
  redis?: RedisClient;
  /** A pino logger to use instead of one made from config.logLevel (tests capture logs with it). */
  logger?: FastifyBaseLogger;
  /** The console's session lifetime and clock (tests). */
  console?: Pick<ConsoleDeps, "sessionLifetimeMs" | "now" | "sessionStore">;
  /** Which doors it opens (buildApp's `listener`); the default: all of them. */
  listener?: Listener;
}

export interface ApiListeners {
  /** PORT on HOST: the receiver and /healthz with ADMIN_PORT, else everything. */
  public: FastifyInstance;
  /** ADMIN_PORT on ADMIN_HOST (HOST when empty); none without ADMIN_PORT. */
  admin?: FastifyInstance;
}

/** The api role's servers: one, or two with ADMIN_PORT. startApi listens on them. */
export async function buildApiListeners(deps: ApiAppDeps): Promise<ApiListeners> {
  if (deps.config.adminPort === undefined) return { public: await buildApiApp(deps) };
  return {
    public: await buildApiApp({ ...deps, listener: "public" }),
    admin: await buildApiApp({ ...deps, listener: "admin" }),
  };
}

export async function buildApiApp(deps: ApiAppDeps): Promise<FastifyInstance> {
  const { config, db, notificationQueue, redis } = deps;
  // Writes are appended to the audit log and logged through the app's logger, which buildApp makes;
  // none happens before it exists.
  let log: FastifyBaseLogger | undefined;
  const recordWrite: RecordWrite = (record) => auditWrites(db, log!)(record);
  // Asking Payzero now logs through the app's logger too (made below, before any request).
  const askLog = {
    info: (obj: object, msg: string) => log?.info(obj, msg),
    warn: (obj: object, msg: string) => log?.warn(obj, msg),
  };
  const orders = ordersDeps(db, recordWrite, payzeroAsk(config, askLog));
  const webhooks = webhookDeps(config, db, recordWrite);
  const audit = auditDeps(db, recordWrite);
  const tokens = tokensDeps(db, recordWrite);
  const app = await buildApp({
    config,
    notificationQueue,
    listener: deps.listener,
    redis,
    logger: deps.logger,
    // Readiness is the receiver's: it needs Redis only, and a Postgres outage must not take every
    // receiver out of its Service (Payzero keeps getting OK; /v1 answers 503 meanwhile). Postgres is
    // reported beside. Without the receiver (tests' /v1 apps) the API needs Postgres.
    ...(notificationQueue && redis
      ? { probes: { redis: () => redis.ping() }, reportedProbes: { postgres: () => pingDatabase(db) } }
      : { probes: { postgres: () => pingDatabase(db), ...(redis && { redis: () => redis.ping() }) } }),
    plugins: [
      v1Api({ config, orders, webhooks, audit, tokens }, V1_ROUTES),
      consoleUi({ config, orders, webhooks, audit, tokens, notificationQueue, redis, ...deps.console }),
    ],
  });
  log = app.log;
  return app;
}
