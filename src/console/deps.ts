// What the console needs from the api role.
import type { Queue } from "bullmq";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import type { RedisClient } from "../ingest/redis.js";
import type { SessionStore } from "./session.js";

export interface ConsoleDeps {
  config: Config;
  db: Db;
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
