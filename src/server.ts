// buildApp(deps) → the base of every HTTP server of the service: the error answer (ops/error-reply.ts), the
// request guards, OpenAPI, /healthz, /readyz, /metrics, and the receiver when given the queue. The
// worker's ops server is this alone; the api role's app is buildApiApp (api/app.ts), built on it.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { Queue } from "bullmq";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { bearerAuth } from "./api/bearer-auth.js";
import type { Config } from "./config.js";
import { type IngestOutcome, ingestRoutes } from "./ingest/route.js";
import { answerErrors } from "./ops/error-reply.js";
import { cutSlowBodies, refuseNulCharacters } from "./ops/guards.js";
import { healthRoutes, type Probe } from "./ops/health.js";
import { loggerOptions } from "./ops/logger.js";
import { metricsRoute, notificationsReceived, receiveLatency } from "./ops/metrics.js";
import type { NotificationBatch } from "./queue/queue.js";

export const BODY_LIMIT = 1024 * 1024;
const STOP_REQUESTS_WITHIN_MS = 5000;
const KNOWN_MSG_TYPES = new Set(["PAY_STATUS_NOTIFY", "DECLARE_STATUS_NOTIFY"]);

export interface AppDeps {
  config: Config;
  notificationQueue?: Queue<NotificationBatch>;
  /** What this process's listener needs to serve (/readyz is 503 while one fails; src/ops/health.ts). */
  probes: Record<string, Probe>;
  /** Checked and named by /readyz, never its 503 (the api role's Postgres: the receiver runs without it). */
  reportedProbes?: Record<string, Probe>;
  /** A pino logger to use instead of one made from config.logLevel (tests capture logs with it). */
  logger?: FastifyBaseLogger;
  /** Further route plugins (buildApiApp: the /v1 API and the console), registered after the receiver. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const notifyPath = deps.notificationQueue ? deps.config.notifyPath : undefined;
  const app = Fastify({
    ...(deps.logger
      ? { loggerInstance: deps.logger }
      : { logger: loggerOptions(deps.config.logLevel, deps.config.nodeEnv) }),
    // The receiver logs one line per notification itself (its outcome, status and duration): the
    // per-request "incoming"/"completed" pair would triple the lines of the busiest route.
    logController: new LogController({
      disableRequestLogging: (request) =>
        notifyPath !== undefined && request.url.split("?")[0] === notifyPath,
    }),
    bodyLimit: BODY_LIMIT,
    // Slow clients cannot hold a connection for ever.
    connectionTimeout: deps.config.httpTimeoutMs,
    requestTimeout: deps.config.httpTimeoutMs,
    // Node looks for requests over requestTimeout only every 30 s by default, so a client trickling
    // a byte at a time could hold its connection for up to twice the timeout.
    http: { connectionsCheckingInterval: Math.min(1000, deps.config.httpTimeoutMs) },
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // Unknown query parameters are refused (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  answerErrors(app);
  cutSlowBodies(app, deps.config.httpTimeoutMs);
  refuseNulCharacters(app);
  await registerOpenApi(app, deps.config);
  await app.register(healthRoutes, { probes: deps.probes, reported: deps.reportedProbes });
  await app.register(metricsRoute, { token: deps.config.metricsToken });
  if (deps.notificationQueue) {
    startNotificationCounts();
    await app.register(ingestRoutes, {
      path: deps.config.notifyPath,
      signTokens: deps.config.signTokens,
      queue: deps.notificationQueue,
      enqueueTimeoutMs: deps.config.enqueueTimeoutMs,
      minReplicasAck: deps.config.redisMinReplicasAck,
      acceptMaxMemoryRatio: deps.config.redisAcceptMaxMemoryRatio,
      onOutcome: countNotification,
    });
    app.addHook("onResponse", async (request, reply) => {
      if (request.routeOptions.url === notifyPath) {
        receiveLatency.observe({ status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      }
    });
  }
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}

const INGEST_OUTCOMES: IngestOutcome[] = ["accepted", "duplicate", "bad_sign", "bad_request", "unavailable"];

/** Every series at 0 from the start: an alert on increase() misses a series' first sample (the first bad sign). */
function startNotificationCounts(): void {
  for (const msgType of [...KNOWN_MSG_TYPES, "other"])
    for (const outcome of INGEST_OUTCOMES) notificationsReceived.inc({ msg_type: msgType, outcome }, 0);
}

function countNotification(outcome: IngestOutcome, msgType?: string): void {
  // Unverified requests choose msgType freely: only Payzero's own types become label values.
  const label = msgType && KNOWN_MSG_TYPES.has(msgType) ? msgType : "other";
  notificationsReceived.inc({ msg_type: label, outcome });
}

/**
 * /openapi.json and /docs list every /v1 route, so by default they sit behind the same bearer token
 * as /v1 itself (an unknown /v1 path answers 401, not 404, for the same reason).
 */
async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  if (config.apiDocs === "off") return;
  const onRequest = config.apiDocs === "token" ? bearerAuth(config.adminToken) : undefined;
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "payzero-notify",
        description: "Receives Payzero QuickPay notifications; query and admin API under /v1 (bearer token).",
        version: "0.1.0",
      },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", ...(onRequest && { uiHooks: { onRequest } }) });
  app.get("/openapi.json", { schema: { hide: true }, ...(onRequest && { onRequest }) }, async () =>
    app.swagger(),
  );
}

/**
 * Stops taking connections and waits for in-flight requests. Keep-alive connections that fall
 * idle meanwhile are closed as they do (Node closes idle ones only once, when close starts), so
 * a client that keeps its connection open cannot hold the stop for the keep-alive timeout. A
 * request still unfinished after STOP_REQUESTS_WITHIN_MS is a slow client's (an answer takes at
 * most ENQUEUE_TIMEOUT_MS): its connection is cut rather than hold the stop until HTTP_TIMEOUT_MS,
 * past the 20 s stop bound and docker's 10 s. Payzero resends a notification it got no answer to.
 */
export async function closeServer(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  const cut = setTimeout(() => app.server.closeAllConnections(), STOP_REQUESTS_WITHIN_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
