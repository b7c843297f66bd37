// The only reader of process.env: turns the environment into a typed, validated Config.
import { isIP } from "node:net";
import { type Static, type TSchema, Type } from "typebox";
import { Value } from "typebox/value";
import type { QueryPath } from "./payzero/client.js";

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const PositiveInt = Type.Integer({ minimum: 1 });
/** A week: a rotated-out secret should not stay valid much longer than receivers take to switch. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;
/**
 * Payzero waits 5 s for "OK" (section 3.1), then counts the notification as not delivered. The
 * receiver waits for Redis up to ENQUEUE_TIMEOUT_MS, the only wait on its path that a setting
 * lengthens: kept under 4500 ms, at least 500 ms remain for the request, the sign and the answer.
 */
const MAX_ENQUEUE_TIMEOUT_MS = 4499;

/** host:port (IPv6 as [addr]:port), comma-separated; empty: not used. */
const HOST_PORTS =
  "^(\\s*(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):\\d{1,5}\\s*(,\\s*(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):\\d{1,5}\\s*)*)?$";

const EnvSchema = Type.Object({
  PAYZERO_SIGN_TOKEN: Type.String({ minLength: 1, description: "signToken(s), comma-separated" }),
  DATABASE_URL: Type.String({ pattern: "^postgres(ql)?://" }),
  REDIS_URL: Type.String({ pattern: "^rediss?://" }),
  // Empty: "pzn", or "{pzn}" with Cluster (see toConfig).
  REDIS_PREFIX: Type.String({ pattern: "^[A-Za-z0-9:_{}-]*$" }),
  HOST: Type.String({ minLength: 1 }),
  PORT: Port,
  ADMIN_TOKEN: Type.String(),
  LOG_LEVEL: Type.Enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  NOTIFY_PATH: Type.String({ pattern: "^/[A-Za-z0-9/_.-]*$" }),
  ENQUEUE_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: MAX_ENQUEUE_TIMEOUT_MS }),
  HTTP_TIMEOUT_MS: PositiveInt,
  WORKER_CONCURRENCY: PositiveInt,
  WORKER_BATCH_SIZE: PositiveInt,
  WORKER_LOCK_MS: Type.Integer({ minimum: 1000 }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$" }),
  WEBHOOK_TIMEOUT_MS: PositiveInt,
  WEBHOOK_CONCURRENCY: PositiveInt,
  WEBHOOK_POLL_INTERVAL_MS: PositiveInt,
  WEBHOOK_LEASE_GRACE_MS: PositiveInt,
  WEBHOOK_QUEUE_LIMIT: PositiveInt,
  WEBHOOK_ENDPOINT_CONCURRENCY: PositiveInt,
  ENDPOINT_DISABLE_AFTER_SECONDS: PositiveInt,
  WEBHOOK_SECRET_OVERLAP_SECONDS: Type.Integer({ minimum: 0, maximum: MAX_SECRET_OVERLAP_SECONDS }),
  V1_RATE_LIMIT_PER_MINUTE: PositiveInt,
  API_DOCS: Type.Enum(["token", "public", "off"], {
    description: "/openapi.json and /docs: behind ADMIN_TOKEN (token), open (public) or not served (off)",
  }),
  PAYZERO_API_URL: Type.String({ pattern: "^(https?://.+)?$" }),
  PAYZERO_APP_ID: Type.String(),
  PAYZERO_APP_KEY: Type.String(),
  PAYZERO_QUERY_PATHS: Type.String({
    pattern: "^\\s*/order/(queryOrder|feedback)(\\s*,\\s*/order/(queryOrder|feedback))*\\s*$",
    description: "/order/queryOrder and/or /order/feedback, comma-separated, tried in this order",
  }),
  RECONCILE_INTERVAL_SECONDS: PositiveInt,
  RECONCILE_STALE_SECONDS: PositiveInt,
  RECONCILE_MAX_AGE_SECONDS: PositiveInt,
  RECONCILE_BATCH_SIZE: PositiveInt,
  RECONCILE_RATE_PER_SECOND: PositiveInt,
  RECONCILE_AWAIT_DECLARATION: Type.Boolean(),
  RECONCILE_UNKNOWN_ORDER_SECONDS: PositiveInt,
  METRICS_TOKEN: Type.String(),
  RETENTION_DAYS: Type.Integer({ minimum: 0, description: "0: keep everything" }),
  RETENTION_INTERVAL_SECONDS: PositiveInt,
  RETENTION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000 }),
  // Read here only to decide whether tracing starts; the OpenTelemetry SDK reads every OTEL_* itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.String({ pattern: "^(https?://.+)?$" }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.String({ pattern: "^(https?://.+)?$" }),
  OTEL_SDK_DISABLED: Type.Boolean(),
  ENCRYPTION_KEYS: Type.String({
    description: "keys sealing endpoint secrets and headers, comma-separated, the first seals",
  }),
  WEBHOOK_ALLOW_ADDRESSES: Type.String({
    description: "addresses/CIDRs allowed despite the destination rule",
  }),
  WEBHOOK_THROTTLE_MAX_SECONDS: PositiveInt,
  WEBHOOK_THROTTLE_LIMIT: Type.Integer({ minimum: 0 }),
  WEBHOOK_BACKFILL_BATCH: Type.Integer({ minimum: 1, maximum: 5000 }),
  REDIS_SENTINELS: Type.String({
    pattern: HOST_PORTS,
    description: "host:port of each Sentinel, comma-separated",
  }),
  REDIS_SENTINEL_NAME: Type.String(),
  REDIS_CLUSTER_NODES: Type.String({
    pattern: HOST_PORTS,
    description: "host:port of cluster nodes, comma-separated",
  }),
  // Empty: 1 with Sentinel or Cluster (replicas are what they are for), 0 with a lone REDIS_URL.
  REDIS_MIN_REPLICAS_ACK: Type.String({ pattern: "^\\d*$", description: "a whole number" }),
});

const defaults: Record<string, string> = {
  DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/payzero_notify",
  REDIS_URL: "redis://127.0.0.1:6379/0",
  REDIS_PREFIX: "",
  HOST: "0.0.0.0",
  PORT: "3000",
  ADMIN_TOKEN: "",
  LOG_LEVEL: "info",
  NOTIFY_PATH: "/payzero/notify",
  ENQUEUE_TIMEOUT_MS: "2000",
  HTTP_TIMEOUT_MS: "30000",
  WORKER_CONCURRENCY: "64",
  WORKER_BATCH_SIZE: "32",
  WORKER_LOCK_MS: "30000",
  WEBHOOK_RETRY_SCHEDULE: "5,30,120,600,1800,7200,21600,43200",
  WEBHOOK_TIMEOUT_MS: "10000",
  WEBHOOK_CONCURRENCY: "64",
  WEBHOOK_POLL_INTERVAL_MS: "1000",
  WEBHOOK_LEASE_GRACE_MS: "30000",
  WEBHOOK_QUEUE_LIMIT: "10000",
  WEBHOOK_ENDPOINT_CONCURRENCY: "32",
  ENDPOINT_DISABLE_AFTER_SECONDS: String(5 * 24 * 3600),
  WEBHOOK_SECRET_OVERLAP_SECONDS: String(24 * 3600),
  V1_RATE_LIMIT_PER_MINUTE: "600",
  API_DOCS: "token",
  PAYZERO_API_URL: "",
  PAYZERO_APP_ID: "",
  PAYZERO_APP_KEY: "",
  PAYZERO_QUERY_PATHS: "/order/queryOrder,/order/feedback",
  RECONCILE_INTERVAL_SECONDS: "300",
  RECONCILE_STALE_SECONDS: "900",
  RECONCILE_MAX_AGE_SECONDS: "604800",
  RECONCILE_BATCH_SIZE: "100",
  RECONCILE_RATE_PER_SECOND: "5",
  RECONCILE_AWAIT_DECLARATION: "true",
  RECONCILE_UNKNOWN_ORDER_SECONDS: "86400",
  METRICS_TOKEN: "",
  RETENTION_DAYS: "0",
  RETENTION_INTERVAL_SECONDS: "3600",
  RETENTION_BATCH_SIZE: "1000",
  OTEL_EXPORTER_OTLP_ENDPOINT: "",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
  OTEL_SDK_DISABLED: "false",
  ENCRYPTION_KEYS: "",
  WEBHOOK_ALLOW_ADDRESSES: "",
  WEBHOOK_THROTTLE_MAX_SECONDS: "300",
  WEBHOOK_THROTTLE_LIMIT: "50",
  WEBHOOK_BACKFILL_BATCH: "500",
  REDIS_SENTINELS: "",
  REDIS_SENTINEL_NAME: "",
  REDIS_CLUSTER_NODES: "",
  REDIS_MIN_REPLICAS_ACK: "",
};

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  signTokens: string[];
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  host: string;
  port: number;
  /** Empty: the /v1 API is closed (every request 401). */
  adminToken: string;
  logLevel: string;
  notifyPath: string;
  enqueueTimeoutMs: number;
  /** A client that sends nothing for this long, or takes longer for a whole request, is cut off. */
  httpTimeoutMs: number;
  /** Notification jobs one worker process holds at once. */
  workerConcurrency: number;
  /** Most of them applied in one transaction. */
  workerBatchSize: number;
  /** How long a worker's hold on a job lasts without renewal: after a crash, its jobs run again this much later. */
  workerLockMs: number;
  /** Seconds to wait before attempt 2, 3, … of a webhook delivery. */
  webhookRetrySchedule: number[];
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  /** How often a worker process claims due deliveries (retries, manual retries, rows others left). */
  webhookPollIntervalMs: number;
  /**
   * A delivery row a process holds (to send it, or waiting for a slot) stays its own this long past the
   * attempt's timeout; then any process may claim it (after a crash, a POST may so be sent twice).
   */
  webhookLeaseGraceMs: number;
  /** Most delivery rows one worker process keeps waiting in memory; more wait in Postgres. */
  webhookQueueLimit: number;
  /** Attempts one worker process makes to one endpoint at once (a slow endpoint cannot take every slot). */
  webhookEndpointConcurrency: number;
  /** An endpoint failing without a success for this long is disabled (re-enable with PATCH). */
  endpointDisableAfterSeconds: number;
  /** After a secret rotation, deliveries are signed with the old secret too for this long (default). */
  webhookSecretOverlapSeconds: number;
  /** Requests per minute and client address on /v1. */
  v1RateLimitPerMinute: number;
  apiDocs: "token" | "public" | "off";
  /** Payzero's query API; the reconciler runs only when url, appId and appKey are all set. */
  payzeroApi: { url: string; appId: string; appKey: string; queryPaths: QueryPath[] } | null;
  reconcile: {
    intervalSeconds: number;
    staleSeconds: number;
    maxAgeSeconds: number;
    batchSize: number;
    ratePerSecond: number;
    /**
     * Whether Payzero declares the merchant's paid orders to customs. False: a paid order is finished
     * whatever its declare status, instead of being asked about until maxAgeSeconds.
     */
    awaitDeclaration: boolean;
    /**
     * An order with no status yet (registered as expected) that Payzero has answered "no such order"
     * about for this long is no longer asked about.
     */
    unknownOrderSeconds: number;
  };
  /** Empty: /metrics is open; else it asks for this bearer token. */
  metricsToken: string;
  /**
   * Null (RETENTION_DAYS 0): everything is kept. Else older succeeded deliveries, their attempts and
   * the bodies of older notifications are removed every intervalSeconds, batchSize rows at a time.
   */
  retention: { days: number; intervalSeconds: number; batchSize: number } | null;
  /** OpenTelemetry tracing: on when an OTLP endpoint is set and OTEL_SDK_DISABLED is not true. */
  tracing: boolean;
  /**
   * 32-byte keys sealing endpoint secrets and headers at rest: the first seals, every one opens.
   * Empty only where nothing opens an endpoint (migrate, the CLI): the api and worker roles refuse to start.
   */
  encryptionKeys: Buffer[];
  /** Subnets an endpoint may reach although the destination rule refuses them (link-local, the own listener). */
  webhookAllowAddresses: string[];
  /** The longest pause a 429 causes an endpoint (Retry-After is capped to it, and so is the backoff). */
  webhookThrottleMaxSeconds: number;
  /** 429s a delivery may get without using up an attempt; past them a 429 is an ordinary failed attempt. */
  webhookThrottleLimit: number;
  /** Notifications a backfill reads per batch (one transaction); also how many of its deliveries may be pending at once. */
  webhookBackfillBatch: number;
  /** Sentinels to ask for the master named redisSentinelName; empty: no Sentinel. */
  redisSentinels: HostPort[];
  redisSentinelName: string;
  /** Redis Cluster nodes to start from; empty: no Cluster. */
  redisClusterNodes: HostPort[];
  /** Replicas that must confirm a message (Redis WAIT) before the receiver answers OK; 0: none. */
  redisMinReplicasAck: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const converted: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const given = env[key] === "" ? undefined : env[key];
    const raw = given ?? defaults[key];
    if (raw === undefined) {
      problems.push(`${key} is required`);
      continue;
    }
    const value = Value.Convert(schema, raw);
    if (Value.Check(schema, value)) converted[key] = value;
    else problems.push(describeProblem(key, schema, value, raw));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return toConfig(converted as Static<typeof EnvSchema>);
}

/** Why a bound is what it is, where the bound alone would not say. */
const reasons: Record<string, string> = {
  ENQUEUE_TIMEOUT_MS: "Payzero waits 5 s for OK, and the rest of the request needs the last 500 ms",
};

function describeProblem(key: string, schema: TSchema, value: unknown, raw: string): string {
  const message = Value.Errors(schema, value)[0]?.message ?? "is invalid";
  // Tokens and URLs may hold secrets: never echo them.
  const shown = /TOKEN|URL|KEY/.test(key) ? "" : ` (got ${JSON.stringify(raw)})`;
  const reason = Object.hasOwn(reasons, key) ? `: ${reasons[key]}` : "";
  return `${key} ${message}${shown}${reason}`;
}

/** The placeholders .env.example ships: a copy of it left unedited must not start a payment receiver. */
const EXAMPLE_TOKENS: readonly string[] = ["change-me"];
/** An ADMIN_TOKEN opens every order and the webhook secrets: at least this long (empty keeps /v1 closed). */
const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Public or guessable secrets, refused at start; the values themselves are never echoed. */
function weakSecretProblems(signTokens: string[], adminToken: string, metricsToken: string): string[] {
  const problems: string[] = [];
  if (signTokens.some((t) => EXAMPLE_TOKENS.includes(t)))
    problems.push(
      "PAYZERO_SIGN_TOKEN holds the example value of .env.example: set the signToken of Payzero's merchant console",
    );
  if (EXAMPLE_TOKENS.includes(adminToken))
    problems.push("ADMIN_TOKEN holds the example value of .env.example: set a random one, or leave it empty");
  else if (adminToken.length > 0 && adminToken.length < MIN_ADMIN_TOKEN_LENGTH)
    problems.push(
      `ADMIN_TOKEN is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: set a random one (e.g. openssl rand -hex 24), or leave it empty to close /v1`,
    );
  // The same bar as ADMIN_TOKEN's: a guessable token would protect /metrics in name only.
  if (EXAMPLE_TOKENS.includes(metricsToken))
    problems.push("METRICS_TOKEN holds an example value: set a random one, or leave it empty");
  else if (metricsToken.length > 0 && metricsToken.length < MIN_ADMIN_TOKEN_LENGTH)
    problems.push(
      `METRICS_TOKEN is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: set a random one (e.g. openssl rand -hex 24), or leave it empty to keep /metrics open`,
    );
  else if (metricsToken.length > 0 && metricsToken === adminToken)
    problems.push("METRICS_TOKEN equals ADMIN_TOKEN: a scraper's token must not open /v1");
  return problems;
}

function toConfig(converted: Static<typeof EnvSchema>): Config {
  const signTokens = converted.PAYZERO_SIGN_TOKEN.split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (signTokens.length === 0) throw new ConfigError(["PAYZERO_SIGN_TOKEN names no token"]);
  const weak = weakSecretProblems(signTokens, converted.ADMIN_TOKEN, converted.METRICS_TOKEN);
  if (weak.length > 0) throw new ConfigError(weak);
  const encryptionKeys = parseEncryptionKeys(converted.ENCRYPTION_KEYS);
  const webhookAllowAddresses = list(converted.WEBHOOK_ALLOW_ADDRESSES);
  const badSubnet = webhookAllowAddresses.find((s) => parseSubnet(s) === undefined);
  if (badSubnet !== undefined)
    throw new ConfigError([
      `WEBHOOK_ALLOW_ADDRESSES: ${JSON.stringify(badSubnet)} is not an IP address or CIDR subnet (e.g. 169.254.10.0/24)`,
    ]);
  const redis = redisTopology(converted);
  return {
    ...redis,
    signTokens,
    databaseUrl: converted.DATABASE_URL,
    redisUrl: converted.REDIS_URL,
    host: converted.HOST,
    port: converted.PORT,
    adminToken: converted.ADMIN_TOKEN,
    logLevel: converted.LOG_LEVEL,
    notifyPath: converted.NOTIFY_PATH,
    enqueueTimeoutMs: converted.ENQUEUE_TIMEOUT_MS,
    httpTimeoutMs: converted.HTTP_TIMEOUT_MS,
    workerConcurrency: converted.WORKER_CONCURRENCY,
    workerBatchSize: converted.WORKER_BATCH_SIZE,
    workerLockMs: converted.WORKER_LOCK_MS,
    webhookRetrySchedule: converted.WEBHOOK_RETRY_SCHEDULE.split(",").map((s) => Number(s.trim())),
    webhookTimeoutMs: converted.WEBHOOK_TIMEOUT_MS,
    webhookConcurrency: converted.WEBHOOK_CONCURRENCY,
    webhookPollIntervalMs: converted.WEBHOOK_POLL_INTERVAL_MS,
    webhookLeaseGraceMs: converted.WEBHOOK_LEASE_GRACE_MS,
    webhookQueueLimit: converted.WEBHOOK_QUEUE_LIMIT,
    webhookEndpointConcurrency: converted.WEBHOOK_ENDPOINT_CONCURRENCY,
    endpointDisableAfterSeconds: converted.ENDPOINT_DISABLE_AFTER_SECONDS,
    webhookSecretOverlapSeconds: converted.WEBHOOK_SECRET_OVERLAP_SECONDS,
    v1RateLimitPerMinute: converted.V1_RATE_LIMIT_PER_MINUTE,
    apiDocs: converted.API_DOCS,
    payzeroApi:
      converted.PAYZERO_API_URL && converted.PAYZERO_APP_ID && converted.PAYZERO_APP_KEY
        ? {
            url: converted.PAYZERO_API_URL,
            appId: converted.PAYZERO_APP_ID,
            appKey: converted.PAYZERO_APP_KEY,
            queryPaths: [
              ...new Set(converted.PAYZERO_QUERY_PATHS.split(",").map((p) => p.trim() as QueryPath)),
            ],
          }
        : null,
    reconcile: {
      intervalSeconds: converted.RECONCILE_INTERVAL_SECONDS,
      staleSeconds: converted.RECONCILE_STALE_SECONDS,
      maxAgeSeconds: converted.RECONCILE_MAX_AGE_SECONDS,
      batchSize: converted.RECONCILE_BATCH_SIZE,
      ratePerSecond: converted.RECONCILE_RATE_PER_SECOND,
      awaitDeclaration: converted.RECONCILE_AWAIT_DECLARATION,
      unknownOrderSeconds: converted.RECONCILE_UNKNOWN_ORDER_SECONDS,
    },
    metricsToken: converted.METRICS_TOKEN,
    retention:
      converted.RETENTION_DAYS > 0
        ? {
            days: converted.RETENTION_DAYS,
            intervalSeconds: converted.RETENTION_INTERVAL_SECONDS,
            batchSize: converted.RETENTION_BATCH_SIZE,
          }
        : null,
    tracing:
      !converted.OTEL_SDK_DISABLED &&
      (converted.OTEL_EXPORTER_OTLP_ENDPOINT !== "" || converted.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== ""),
    encryptionKeys,
    webhookAllowAddresses,
    webhookThrottleMaxSeconds: converted.WEBHOOK_THROTTLE_MAX_SECONDS,
    webhookThrottleLimit: converted.WEBHOOK_THROTTLE_LIMIT,
    webhookBackfillBatch: converted.WEBHOOK_BACKFILL_BATCH,
  };
}

const list = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const ENCRYPTION_KEY_BYTES = 32;

export const MISSING_ENCRYPTION_KEYS =
  "ENCRYPTION_KEYS is required: it seals the webhook endpoints' secrets and headers in Postgres. " +
  "Make one with `openssl rand -base64 32` and keep it safe (README, Configuration and Webhooks)";

/** Each key base64 of 32 random bytes (openssl rand -base64 32); the values are never echoed. */
function parseEncryptionKeys(text: string): Buffer[] {
  const given = list(text);
  const problems: string[] = [];
  const keys = given.map((k, i) => {
    const key = Buffer.from(k, "base64");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k) || key.length !== ENCRYPTION_KEY_BYTES)
      problems.push(
        `ENCRYPTION_KEYS: key ${i + 1} is not base64 of ${ENCRYPTION_KEY_BYTES} bytes (make one with: openssl rand -base64 32)`,
      );
    return key;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return keys;
}

/** "a.b.c.d", "a.b.c.d/n", an IPv6 address, or "x::/n": the address, its family and prefix length. */
export function parseSubnet(
  text: string,
): { address: string; family: "ipv4" | "ipv6"; prefix: number } | undefined {
  const [address = "", prefixText, ...rest] = text.split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix =
    prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, family: version === 4 ? "ipv4" : "ipv6", prefix };
}

export function hostPorts(list: string): HostPort[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const at = s.lastIndexOf(":");
      return { host: s.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(s.slice(at + 1)) };
    });
}

/** BullMQ's scripts touch several keys of a queue at once: on a Cluster they must share a slot. */
const HASH_TAG = /\{[^{}]+\}/;

/** Standalone, Sentinel or Cluster, and what each needs of the other Redis settings. */
function redisTopology(
  c: Static<typeof EnvSchema>,
): Pick<
  Config,
  "redisPrefix" | "redisSentinels" | "redisSentinelName" | "redisClusterNodes" | "redisMinReplicasAck"
> {
  const sentinels = hostPorts(c.REDIS_SENTINELS);
  const clusterNodes = hostPorts(c.REDIS_CLUSTER_NODES);
  const problems: string[] = [];
  const badPort = [...sentinels, ...clusterNodes].find((n) => n.port < 1 || n.port > 65535);
  if (badPort) problems.push(`REDIS_SENTINELS/REDIS_CLUSTER_NODES: port ${badPort.port} is not 1-65535`);
  if (sentinels.length > 0 && clusterNodes.length > 0)
    problems.push("REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: choose Sentinel or Cluster");
  if (sentinels.length > 0 && !c.REDIS_SENTINEL_NAME)
    problems.push(
      "REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the master's name in the Sentinels' config)",
    );
  if (clusterNodes.length > 0) {
    const db = new URL(c.REDIS_URL).pathname.replace(/^\//, "");
    if (db !== "" && db !== "0")
      problems.push(`REDIS_URL selects db ${db}: a Redis Cluster has db 0 only (leave the path empty or /0)`);
    if (c.REDIS_PREFIX && !HASH_TAG.test(c.REDIS_PREFIX))
      problems.push(
        `REDIS_PREFIX must hold a hash tag with REDIS_CLUSTER_NODES, e.g. {${c.REDIS_PREFIX.replace(/[{}]/g, "")}} (got ${JSON.stringify(c.REDIS_PREFIX)}): BullMQ's scripts need all of a queue's keys in one slot`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const replicated = sentinels.length > 0 || clusterNodes.length > 0;
  return {
    redisPrefix: c.REDIS_PREFIX || (clusterNodes.length > 0 ? "{pzn}" : "pzn"),
    redisSentinels: sentinels,
    redisSentinelName: c.REDIS_SENTINEL_NAME,
    redisClusterNodes: clusterNodes,
    redisMinReplicasAck:
      c.REDIS_MIN_REPLICAS_ACK === "" ? (replicated ? 1 : 0) : Number(c.REDIS_MIN_REPLICAS_ACK),
  };
}
