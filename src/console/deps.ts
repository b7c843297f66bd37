// What the console needs from the api role.
import type { Queue } from "bullmq";
import type { AuditDeps } from "../audit/deps.js";
import type { Config } from "../config.js";
import type { OrdersDeps } from "../orders/deps.js";
import type { RedisClient } from "../queue/redis.js";
import type { TokensDeps } from "../tokens/deps.js";
import type { WebhookDeps } from "../webhooks/deps.js";
import type { SessionStore } from "./session.js";

export interface ConsoleDeps {
  config: Config;
  /** The orders operations' deps (the same object /v1 uses). */
  orders: OrdersDeps;
  /** What the endpoint and delivery operations need. */
  webhooks: WebhookDeps;
  /** The audit log: its page, and where sign-ins are recorded. */
  audit: AuditDeps;
  /** The API token operations: the tokens page. */
  tokens: TokensDeps;
  /** The receiver's notification queue (its depth on the overview). */
  notificationQueue?: Queue;
  /** A producer connection, for the reconciler's recent runs. */
  redis?: RedisClient;
  /** Where sessions live; default Redis (`redis`), memory without it. */
  sessionStore?: SessionStore;
  /** How long a session lasts; default 8 hours. */
  sessionLifetimeMs?: number;
  now?: () => number;
}
