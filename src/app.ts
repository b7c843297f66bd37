// buildApp(deps) → the Fastify instance of the receiver and the /v1 API. Tests use app.inject() on it.
import type { Queue } from "bullmq";
import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "./config.js";
import type { NotificationJob } from "./ingest/queue.js";
import { type IngestOutcome, ingestRoutes } from "./ingest/route.js";
import { healthRoutes, type Probe } from "./ops/health.js";
import { loggerOptions } from "./ops/logger.js";

export const BODY_LIMIT = 1024 * 1024;

export interface AppDeps {
  config: Config;
  notificationQueue: Queue<NotificationJob>;
  probes: Record<string, Probe>;
  onIngestOutcome?: (outcome: IngestOutcome, msgType?: string) => void;
  /** Further route plugins (the /v1 API), registered after the receiver. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.logLevel),
    bodyLimit: BODY_LIMIT,
    // Slow clients cannot hold a connection for ever.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // Unknown query parameters are refused (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  await app.register(healthRoutes, { probes: deps.probes });
  await app.register(ingestRoutes, {
    path: deps.config.notifyPath,
    signTokens: deps.config.signTokens,
    queue: deps.notificationQueue,
    enqueueTimeoutMs: deps.config.enqueueTimeoutMs,
    onOutcome: deps.onIngestOutcome,
  });
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}
