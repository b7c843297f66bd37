// The environment reaches the service only through loadConfig. Every setting is declared once below
// (its variable, type and limits, default, description, the roles that read and require it); the
// typed Config, the checks and the error messages come from it, and so do the settings table of
// docs/configuration.md and .env.example (`npm run docs:config`, scripts/config-docs.ts).
import { type Static, type TSchema, Type } from "typebox";
import { Value } from "typebox/value";
import { ConfigError, type Problem } from "./config-problems.js";
import {
  checkedHostPorts,
  encryptionKeys,
  examplePasswords,
  list,
  parseSubnet,
  type Refuse,
  redisTopology,
  subnets,
  weakSecrets,
} from "./config-values.js";
import type { QueryPath } from "./payzero/query-api.js";
import { apiUrlProblem } from "./payzero/transport.js";

export { ConfigError } from "./config-problems.js";
export { hostPorts, parseSubnet } from "./config-values.js";

/** The processes that read a configuration: `main.ts <api|worker|migrate>` and the operator CLI. */
const SETTING_ROLES = ["api", "worker", "migrate", "cli"] as const;
type SettingRole = (typeof SETTING_ROLES)[number];
/** What loadConfig is asked for: a role, or `all` (api and worker in one container). */
export type ConfigRole = SettingRole | "all";

/** A week: a rotated-out secret should not stay valid much longer than receivers take to switch. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;
/**
 * Payzero waits 5 s for "OK" (section 3.1), then counts the notification as not delivered. The
 * receiver waits for Redis up to ENQUEUE_TIMEOUT_MS, the only wait on its path that a setting
 * lengthens: kept under 4500 ms, at least 500 ms remain for the request, the sign and the answer.
 */
const MAX_ENQUEUE_TIMEOUT_MS = 4499;

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const PositiveInt = Type.Integer({ minimum: 1 });
const Text = Type.String();
const HTTP_URL_OR_EMPTY = {
  type: Type.String({ pattern: "^(https?://.+)?$" }),
  format: "an http:// or https:// URL, or empty",
};
const SWITCH = { type: Type.Boolean(), format: "true or false" };
/** host:port (IPv6 as [addr]:port), comma-separated; empty: not used. */
const HOST_PORTS = {
  type: Type.String({
    pattern:
      "^(\\s*(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):\\d{1,5}\\s*(,\\s*(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):\\d{1,5}\\s*)*)?$",
  }),
  format: "host:port ([IPv6 address]:port), comma-separated",
};

type Group = "payzeroApi" | "reconcile" | "retention";

interface Setting<T extends TSchema, V, F extends string | undefined, G extends Group | undefined> {
  type: T;
  /** Used when the variable is unset or empty. */
  default: string;
  /**
   * What it does, written only here: the settings table of docs/configuration.md and the comment
   * above it in .env.example. One paragraph of Markdown (`code`, links relative to docs/).
   */
  doc: string;
  /** The roles that read it (the table's "Read by" column). */
  roles: readonly SettingRole[];
  /** A value .env.example sets on an uncommented line (a placeholder the service refuses). */
  example?: string;
  /** Roles that refuse to start while it is empty, and why. */
  required?: { by: readonly SettingRole[]; why?: string };
  /** Its value is never shown in an error. */
  secret?: boolean;
  /** What a valid value looks like, where the type's own message would not say (a pattern). */
  format?: string;
  /** Why its bound is what it is, added to a refusal where the bound alone would not say. */
  reason?: string;
  /** The Config field it fills (in `group`'s object if set); none: read only to derive others. */
  field: F;
  group: G;
  /** From the checked value to the field's (lists, keys …); refuse() names the setting. */
  decode: (value: Static<T>, refuse: Refuse) => V;
}

function setting<
  T extends TSchema,
  V = Static<T>,
  const F extends string | undefined = undefined,
  const G extends Group | undefined = undefined,
>(s: Omit<Setting<T, V, F, G>, "field" | "group" | "decode"> & Partial<Setting<T, V, F, G>>) {
  const identity = (value: Static<T>) => value as unknown as V;
  return {
    ...s,
    required: s.required,
    secret: s.secret === true,
    format: s.format,
    reason: s.reason,
    example: s.example,
    field: s.field as F,
    group: s.group as G,
    decode: s.decode ?? identity,
  };
}

const SERVING: readonly SettingRole[] = ["api", "worker"];
const LOGGING: readonly SettingRole[] = ["api", "worker", "migrate"];

/**
 * Every setting, by environment variable, in the order of docs/configuration.md's table and of
 * .env.example: adding one here and running `npm run docs:config` documents it.
 */
export const SETTINGS = {
  PAYZERO_SIGN_TOKEN: setting({
    type: Text,
    default: "",
    doc: "The signToken(s) set in Payzero's merchant console (商户配置), comma-separated: all are accepted (rotation); the example's `change-me` is refused at start. The workers check every queued notification's sign against them again before applying it",
    roles: ["api", "worker"],
    required: { by: ["api", "worker"] },
    secret: true,
    example: "change-me",
    field: "signTokens",
    decode: (text, refuse) => {
      const tokens = list(text);
      if (text.length > 0 && tokens.length === 0) refuse("names no token");
      return tokens;
    },
  }),
  DATABASE_URL: setting({
    type: Type.String({ pattern: "^postgres(ql)?://" }),
    format: "a postgresql:// or postgres:// URL",
    default: "postgresql://postgres@127.0.0.1:5432/payzero_notify",
    doc: "Postgres connection (compose builds its own from `POSTGRES_PASSWORD`)",
    roles: ["api", "worker", "migrate", "cli"],
    secret: true,
    field: "databaseUrl",
  }),
  REDIS_URL: setting({
    type: Type.String({ pattern: "^rediss?://" }),
    format: "a redis:// or rediss:// URL",
    default: "redis://127.0.0.1:6379/0",
    doc: "Redis connection (compose sets its own); run Redis with `appendonly yes`, `appendfsync always`, `maxmemory-policy noeviction`. With Sentinel or Cluster only its username, password, TLS and db are used (see [Redis with Sentinel or Cluster](#redis-with-sentinel-or-cluster))",
    roles: SERVING,
    secret: true,
    field: "redisUrl",
  }),
  REDIS_PREFIX: setting({
    type: Type.String({ pattern: "^[A-Za-z0-9:_{}-]*$" }),
    format: "letters, digits and : _ { } - only",
    default: "",
    doc: "Prefix of every Redis key of the queues; empty: `pzn`, or `{pzn}` with Cluster (where a prefix must hold a hash tag)",
    roles: SERVING,
    field: "redisPrefix",
  }),
  HOST: setting({
    type: Type.String({ minLength: 1 }),
    default: "0.0.0.0",
    doc: "Listen address of the HTTP server (worker-only processes serve `/healthz`, `/readyz`, `/metrics` there)",
    roles: SERVING,
    field: "host",
  }),
  PORT: setting({
    type: Port,
    default: "3000",
    doc: "Listen port of the HTTP server",
    roles: SERVING,
    field: "port",
  }),
  ADMIN_PORT: setting({
    type: Type.String({ pattern: "^(\\d{1,5})?$" }),
    format: "a port number, or empty",
    default: "",
    doc: "Listen port of the console, /v1, /docs, /openapi.json, /metrics and /readyz; PORT then serves only the notify path and /healthz. Empty: one listener serves everything",
    roles: ["api"],
    field: "adminPort",
    decode: (text, refuse) => {
      if (text === "") return undefined;
      const port = Number(text);
      if (port > 65535) refuse("must be a port number (0–65535)", { got: text });
      return port;
    },
  }),
  ADMIN_HOST: setting({
    type: Text,
    default: "",
    doc: "Listen address of ADMIN_PORT; empty: HOST's",
    roles: ["api"],
    field: "adminHost",
  }),
  ADMIN_TOKEN: setting({
    type: Text,
    default: "",
    doc: "Bearer token of the `/v1` query and admin API, 16 characters at least (e.g. `openssl rand -hex 24`); it holds every scope, and API tokens (`tokens create`) are what other systems get; empty: only API tokens open `/v1`; the example's `change-me` is refused at start",
    roles: ["api"],
    secret: true,
    example: "change-me",
    field: "adminToken",
  }),
  SESSION_SECRET: setting({
    type: Text,
    default: "",
    doc: "Key of the console's session and CSRF tokens, 32 characters at least; empty: derived from the first of ENCRYPTION_KEYS (HKDF)",
    roles: ["api"],
    secret: true,
    field: "sessionSecret",
    decode: (text, refuse) => {
      if (text !== "" && text.length < 32) refuse("must be 32 characters at least (openssl rand -base64 32)");
      return text;
    },
  }),
  TRUST_PROXY: setting({
    type: Type.String({ pattern: "^[0-9A-Fa-f.:/,\\s]*$" }),
    format: "a number of proxy hops, or addresses/CIDRs of the proxies, comma-separated; or empty",
    default: "",
    doc: "The reverse proxies in front of the service: a hop count (1) or their addresses/CIDRs. Only then do X-Forwarded-For/-Proto/-Host count (client address for rate limits, HTTPS for cookies); empty: never",
    roles: ["api"],
    field: "trustProxy",
    decode: (text, refuse): number | string[] | false => {
      const trimmed = text.trim();
      if (trimmed === "") return false;
      if (/^\d+$/.test(trimmed)) return Number(trimmed);
      const entries = list(trimmed);
      const bad = entries.find((entry) => parseSubnet(entry) === undefined);
      if (bad !== undefined) refuse(`entry "${bad}" is not a hop count, an IP address or a CIDR subnet`);
      return entries;
    },
  }),
  LOG_LEVEL: setting({
    type: Type.Enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    format: "one of fatal, error, warn, info, debug, trace, silent",
    default: "info",
    doc: "pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`",
    roles: LOGGING,
    field: "logLevel",
  }),
  NODE_ENV: setting({
    type: Text,
    default: "",
    doc: "`production`: JSON log lines even at a terminal (the image sets it); otherwise a terminal gets readable lines",
    roles: LOGGING,
    field: "nodeEnv",
  }),
  NOTIFY_PATH: setting({
    type: Type.String({ pattern: "^/[A-Za-z0-9/_.-]*$" }),
    format: "a path: / then letters, digits and / _ . - only",
    default: "/payzero/notify",
    doc: "The path Payzero POSTs notifications to",
    roles: ["api"],
    field: "notifyPath",
  }),
  NOTIFY_BODY_LIMIT_BYTES: setting({
    type: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 }),
    default: String(64 * 1024),
    doc: "Largest notification body taken (413 above it, before any sign is computed); Payzero's messages are a few KB",
    roles: ["api"],
    field: "notifyBodyLimitBytes",
  }),
  ENQUEUE_TIMEOUT_MS: setting({
    type: Type.Integer({ minimum: 1, maximum: MAX_ENQUEUE_TIMEOUT_MS }),
    default: "2000",
    doc: "How long the receiver waits for Redis to take a message before answering 503 (Payzero then resends); at most `4499`: Payzero waits 5 s for `OK`, and the rest of the request needs the last 500 ms (see [Payzero's 5 s is a bound](#payzeros-5-s-is-a-bound))",
    roles: ["api"],
    reason: "Payzero waits 5 s for OK, and the rest of the request needs the last 500 ms",
    field: "enqueueTimeoutMs",
  }),
  HTTP_TIMEOUT_MS: setting({
    type: PositiveInt,
    default: "30000",
    doc: "A client that sends nothing for this long, or takes longer for a whole request, is cut off",
    roles: SERVING,
    field: "httpTimeoutMs",
  }),
  WORKER_CONCURRENCY: setting({
    type: PositiveInt,
    default: "64",
    doc: "Notification jobs one worker process holds at once (each job holds the 1–64 messages that reached an api process together)",
    roles: ["worker"],
    field: "workerConcurrency",
  }),
  WORKER_MODE: setting({
    type: Type.Enum(["thread", "process"]),
    format: "thread or process",
    default: "thread",
    doc: "Role `all`: the workers run in a worker thread of the receiver's process (`thread`: one Node runtime, less memory) or in a child process of their own (`process`); either way on an event loop of their own, restarted when they die",
    roles: ["api"],
    field: "workerMode",
  }),
  WORKER_BATCH_SIZE: setting({
    type: PositiveInt,
    default: "32",
    doc: "Most messages of those jobs a worker applies in one transaction (group commit: a lone message still goes at once)",
    roles: ["worker"],
    field: "workerBatchSize",
  }),
  WORKER_LOCK_MS: setting({
    type: Type.Integer({ minimum: 1000 }),
    default: "30000",
    doc: "How long a worker's hold on a job lasts without renewal: after a crash, its jobs run again this much later",
    roles: ["worker"],
    field: "workerLockMs",
  }),
  UNSIGNED_JOBS_GRACE_SECONDS: setting({
    type: Type.Integer({ minimum: 0 }),
    default: "3600",
    doc: 'For this long after a worker starts, it applies notification jobs without a sign that were queued before it started (by a receiver older than signed jobs: an upgrade\'s backlog), each with a warning; later, or queued after it started, they are rejected. 0: never (docs/operations.md, "Upgrading")',
    roles: ["worker"],
    field: "unsignedJobsGraceSeconds",
  }),
  WEBHOOK_RETRY_SCHEDULE: setting({
    type: Type.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$" }),
    format: "whole numbers of seconds, comma-separated",
    default: "5,30,120,600,1800,7200,21600,43200",
    doc: "Seconds to wait before attempt 2, 3, … of a webhook delivery, comma-separated; after the last attempt the delivery is failed",
    roles: ["worker"],
    field: "webhookRetrySchedule",
    decode: (text) => text.split(",").map((s) => Number(s.trim())),
  }),
  WEBHOOK_TIMEOUT_MS: setting({
    type: PositiveInt,
    default: "10000",
    doc: "How long one webhook attempt may take",
    roles: ["api", "worker", "cli"],
    field: "webhookTimeoutMs",
  }),
  WEBHOOK_CONCURRENCY: setting({
    type: PositiveInt,
    default: "64",
    doc: "Webhook attempts one worker process makes at once",
    roles: ["worker"],
    field: "webhookConcurrency",
  }),
  WEBHOOK_POLL_INTERVAL_MS: setting({
    type: PositiveInt,
    default: "1000",
    doc: "How often a worker process claims due deliveries (retries, manual retries, rows a stopped worker held)",
    roles: ["worker", "cli"],
    field: "webhookPollIntervalMs",
  }),
  WEBHOOK_LEASE_GRACE_MS: setting({
    type: PositiveInt,
    default: "30000",
    doc: "A delivery a worker process holds stays its own this long past the attempt's timeout; then any process may claim it (a crashed worker's rows)",
    roles: ["worker"],
    field: "webhookLeaseGraceMs",
  }),
  WEBHOOK_QUEUE_LIMIT: setting({
    type: PositiveInt,
    default: "10000",
    doc: "Most deliveries one worker process keeps waiting in memory for an endpoint slot; the rest wait in Postgres",
    roles: ["worker"],
    field: "webhookQueueLimit",
  }),
  WEBHOOK_ENDPOINT_CONCURRENCY: setting({
    type: PositiveInt,
    default: "32",
    doc: "Attempts one worker process makes to one endpoint at once (by default half of `WEBHOOK_CONCURRENCY`: a slow endpoint cannot hold every slot)",
    roles: ["worker"],
    field: "webhookEndpointConcurrency",
  }),
  ENDPOINT_DISABLE_AFTER_SECONDS: setting({
    type: PositiveInt,
    default: String(5 * 24 * 3600),
    doc: "An endpoint failing without a success for this long is disabled (`PATCH` with `enabled: true` re-enables it)",
    roles: ["worker"],
    field: "endpointDisableAfterSeconds",
  }),
  WEBHOOK_SECRET_OVERLAP_SECONDS: setting({
    type: Type.Integer({ minimum: 0, maximum: MAX_SECRET_OVERLAP_SECONDS }),
    default: String(24 * 3600),
    doc: "After a secret rotation, deliveries are signed with the old secret too for this long (at most a week, 604800)",
    roles: ["api"],
    field: "webhookSecretOverlapSeconds",
  }),
  V1_RATE_LIMIT_PER_MINUTE: setting({
    type: PositiveInt,
    default: "600",
    doc: "Requests per minute and client address on `/v1`, `/openapi.json`, `/docs`, `/metrics` and `/readyz` together, counted in Redis (shared by every api process)",
    roles: ["api"],
    field: "v1RateLimitPerMinute",
  }),
  API_DOCS: setting({
    type: Type.Enum(["token", "public", "off"]),
    format: "one of token, public, off",
    default: "token",
    doc: "`/openapi.json` and `/docs`: behind `ADMIN_TOKEN` (`token`), open (`public`) or not served (`off`)",
    roles: ["api"],
    field: "apiDocs",
  }),
  PAYZERO_API_URL: setting({
    ...HTTP_URL_OR_EMPTY,
    default: "",
    doc: "Payzero's query API, e.g. `https://quickpay-api.payzero.cn`; the reconciler runs only when it, `PAYZERO_APP_ID` and `PAYZERO_APP_KEY` are all set",
    roles: SERVING,
    secret: true,
    group: "payzeroApi",
    field: "url",
    decode: (url, refuse) => {
      const problem = url === "" ? null : apiUrlProblem(url);
      if (problem) refuse(problem);
      return url;
    },
  }),
  PAYZERO_APP_ID: setting({
    type: Text,
    default: "",
    doc: "AppId of the query API, from the merchant console",
    roles: SERVING,
    group: "payzeroApi",
    field: "appId",
  }),
  PAYZERO_APP_KEY: setting({
    type: Text,
    default: "",
    doc: "AppKey of the query API, from the merchant console",
    roles: SERVING,
    secret: true,
    group: "payzeroApi",
    field: "appKey",
  }),
  PAYZERO_QUERY_PATHS: setting({
    type: Type.String({
      pattern: "^\\s*/order/(queryOrder|feedback)(\\s*,\\s*/order/(queryOrder|feedback))*\\s*$",
    }),
    format: "/order/queryOrder and/or /order/feedback, comma-separated",
    default: "/order/queryOrder,/order/feedback",
    doc: "Single-order queries, comma-separated, tried in this order until one knows the order: `/order/queryOrder` (QR, quick-pay and mock-pay orders, sections 4.3/5.6/6.3), `/order/feedback` (auto-pay and batch orders, section 2.4); see [Reconciler](payzero.md#reconciler)",
    roles: SERVING,
    group: "payzeroApi",
    field: "queryPaths",
    decode: (text) => [...new Set(list(text) as QueryPath[])],
  }),
  RECONCILE_INTERVAL_SECONDS: setting({
    type: PositiveInt,
    default: "300",
    doc: "How often the reconciler runs",
    roles: ["worker"],
    group: "reconcile",
    field: "intervalSeconds",
  }),
  RECONCILE_STALE_SECONDS: setting({
    type: PositiveInt,
    default: "900",
    doc: "An unfinished order unchanged this long is asked about",
    roles: ["worker"],
    group: "reconcile",
    field: "staleSeconds",
  }),
  RECONCILE_MAX_AGE_SECONDS: setting({
    type: PositiveInt,
    default: "604800",
    doc: "Orders older than this are no longer asked about",
    roles: ["worker"],
    group: "reconcile",
    field: "maxAgeSeconds",
  }),
  RECONCILE_BATCH_SIZE: setting({
    type: PositiveInt,
    default: "100",
    doc: "Orders one reconciler run asks about at most",
    roles: ["worker"],
    group: "reconcile",
    field: "batchSize",
  }),
  RECONCILE_RATE_PER_SECOND: setting({
    type: PositiveInt,
    default: "5",
    doc: "Queries per second to Payzero's API at most, per process: the reconciler's runs, and `POST /v1/orders/:mchtOrderNo/query` in each api process",
    roles: SERVING,
    group: "reconcile",
    field: "ratePerSecond",
  }),
  RECONCILE_AWAIT_DECLARATION: setting({
    ...SWITCH,
    default: "true",
    doc: "Whether Payzero declares your paid orders to customs; `false` (orders with `needDeclare` false): a paid order is finished whatever its declare status",
    roles: ["worker"],
    group: "reconcile",
    field: "awaitDeclaration",
  }),
  RECONCILE_ABANDONED_AFTER_SECONDS: setting({
    type: PositiveInt,
    default: "86400",
    doc: "An order unchanged this long in `NOT_PAYED`, `PAY_FAILED` or `DECLARE_FAILED` (and no retry announced) is abandoned: asked about within `RECONCILE_ABANDONED_SHARE_PERCENT` of each run only",
    roles: ["worker"],
    group: "reconcile",
    field: "abandonedAfterSeconds",
  }),
  RECONCILE_ABANDONED_SHARE_PERCENT: setting({
    type: Type.Integer({ minimum: 0, maximum: 100 }),
    format: "0 to 100",
    default: "10",
    doc: "The share of `RECONCILE_BATCH_SIZE` abandoned orders get in a run (at least one order when not 0), walked apart from the others; what they leave unused goes to the others. Announced retries and expected orders come first",
    roles: ["worker"],
    group: "reconcile",
    field: "abandonedSharePercent",
  }),
  RECONCILE_UNKNOWN_ORDER_SECONDS: setting({
    type: PositiveInt,
    default: "86400",
    doc: 'An expected order (registered, no status yet) that Payzero has called unknown ("no such order") for this long is no longer asked about',
    roles: ["worker"],
    group: "reconcile",
    field: "unknownOrderSeconds",
  }),
  METRICS_TOKEN: setting({
    type: Text,
    default: "",
    doc: "Bearer token `/metrics` asks for (`Authorization: Bearer <token>`), 16 characters at least; empty: `/metrics` is open. Set it when the port is reachable from outside (`/healthz` and `/readyz` stay open)",
    roles: SERVING,
    secret: true,
    field: "metricsToken",
  }),
  RETENTION_DAYS: setting({
    type: Type.Integer({ minimum: 0 }),
    default: "0",
    doc: "After this many days, succeeded deliveries and their attempts are removed, and the bodies of notifications none of whose deliveries remains (orders are kept whole); `0`: keep everything (see [Retention](operations.md#retention))",
    roles: ["worker"],
    group: "retention",
    field: "days",
  }),
  PERSONAL_DATA_RETENTION_DAYS: setting({
    type: Type.Integer({ minimum: 0 }),
    default: "30",
    doc: "After this many days with its pay and declare states final (paid and declared, paid and not to be declared, or cancelled), an order's payer name, ID number and phone are erased wherever they are stored (its statuses, amounts and history stay); `0`: kept until erased by hand (see [Personal data](guarantees.md#personal-data))",
    roles: ["worker"],
    group: "retention",
    field: "personalDataDays",
  }),
  RETENTION_INTERVAL_SECONDS: setting({
    type: PositiveInt,
    default: "3600",
    doc: "How often a worker runs retention",
    roles: ["worker"],
    group: "retention",
    field: "intervalSeconds",
  }),
  RETENTION_BATCH_SIZE: setting({
    type: Type.Integer({ minimum: 1, maximum: 10_000 }),
    default: "1000",
    doc: "Rows one retention statement removes at most (with a 200 ms pause between two)",
    roles: ["worker"],
    group: "retention",
    field: "batchSize",
  }),
  // Read here only to decide whether tracing starts; the OpenTelemetry SDK reads every OTEL_* itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: setting({
    ...HTTP_URL_OR_EMPTY,
    default: "",
    doc: "OTLP/HTTP collector, e.g. `http://otel-collector:4318`: tracing is on when it or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set. The SDK reads the other `OTEL_*` itself (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_HEADERS` …; see [Tracing](operations.md#tracing-opentelemetry))",
    roles: SERVING,
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: setting({
    ...HTTP_URL_OR_EMPTY,
    default: "",
    doc: "OTLP/HTTP endpoint of traces alone; set, it turns tracing on too",
    roles: SERVING,
  }),
  OTEL_SDK_DISABLED: setting({
    ...SWITCH,
    default: "false",
    doc: "`true`: no tracing, whatever the endpoints",
    roles: SERVING,
  }),
  ENCRYPTION_KEYS: setting({
    type: Text,
    default: "",
    doc: "Base64 keys of 32 bytes sealing endpoint secrets and headers and the payers' personal data (name, ID number, phone) in Postgres, comma-separated: the first seals, every one opens. No default, in development and tests too: an api or worker role without it does not start. Make one with `openssl rand -base64 32`, and keep it; a key rotation is `NEW,OLD`, a restart, then `NEW` alone (see [Secrets at rest](webhooks.md#secrets-at-rest-and-encryption_keys), [Personal data](guarantees.md#personal-data))",
    roles: ["api", "worker", "migrate", "cli"],
    required: {
      by: ["api", "worker"],
      why:
        "it seals the webhook endpoints' secrets and headers and the payers' personal data in Postgres. " +
        "Make one with `openssl rand -base64 32` and keep it safe (docs/configuration.md, docs/webhooks.md)",
    },
    secret: true,
    field: "encryptionKeys",
    decode: encryptionKeys,
  }),
  WEBHOOK_ALLOW_ADDRESSES: setting({
    type: Text,
    default: "",
    doc: "Addresses or CIDR subnets, comma-separated, an endpoint may reach although the address rule refuses them (loopback, `0.0.0.0/8` and `::`, link-local, cloud metadata; NAT64 and 6to4 judged by the IPv4 they carry), e.g. `127.0.0.1` for a local demo; this service's own ports stay refused (see [the address rule](webhooks.md#where-an-endpoint-may-point-the-address-rule))",
    roles: SERVING,
    field: "webhookAllowAddresses",
    decode: subnets,
  }),
  WEBHOOK_THROTTLE_MAX_SECONDS: setting({
    type: PositiveInt,
    default: "300",
    doc: "A 429 pauses its endpoint for its `Retry-After` (or 1 s, doubling per 429 in a row), at most this long",
    roles: ["worker"],
    field: "webhookThrottleMaxSeconds",
  }),
  WEBHOOK_THROTTLE_LIMIT: setting({
    type: Type.Integer({ minimum: 0 }),
    default: "50",
    doc: "429s a delivery may get without using up an attempt of `WEBHOOK_RETRY_SCHEDULE`; past them a 429 is one",
    roles: ["worker"],
    field: "webhookThrottleLimit",
  }),
  WEBHOOK_BACKFILL_BATCH: setting({
    type: Type.Integer({ minimum: 1, maximum: 5000 }),
    default: "500",
    doc: "Notifications a backfill reads per transaction; also how many of its deliveries may be pending at once",
    roles: ["worker"],
    field: "webhookBackfillBatch",
  }),
  REDIS_SENTINELS: setting({
    ...HOST_PORTS,
    default: "",
    doc: "`host:port` of each Sentinel, comma-separated (e.g. `sentinel-1:26379,sentinel-2:26379`): the service asks them for the master; empty: no Sentinel",
    roles: SERVING,
    field: "redisSentinels",
    decode: checkedHostPorts,
  }),
  REDIS_SENTINEL_NAME: setting({
    type: Text,
    default: "",
    doc: "The master's name in the Sentinels' `sentinel monitor` line (e.g. `mymaster`); required with `REDIS_SENTINELS`",
    roles: SERVING,
    field: "redisSentinelName",
  }),
  REDIS_CLUSTER_NODES: setting({
    ...HOST_PORTS,
    default: "",
    doc: "`host:port` of some Redis Cluster nodes to start from, comma-separated (the others are discovered); empty: no Cluster",
    roles: SERVING,
    field: "redisClusterNodes",
    decode: checkedHostPorts,
  }),
  REDIS_ACCEPT_MAX_MEMORY_RATIO: setting({
    type: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    format: "a number above 0, at most 1",
    default: "0.8",
    doc: "Share of Redis maxmemory past which the receiver answers 503, leaving the rest for the workers to drain the queue",
    roles: ["api"],
    field: "redisAcceptMaxMemoryRatio",
  }),
  REDIS_MIN_REPLICAS_ACK: setting({
    type: Type.String({ pattern: "^\\d*$" }),
    format: "a whole number, or empty",
    default: "",
    doc: "Replicas that must have a notification (Redis `WAIT`) before the receiver answers `OK`; empty: 1 with Sentinel or Cluster, else 0; `0`: no wait",
    roles: ["api"],
    decode: (text) => (text === "" ? undefined : Number(text)),
  }),
};

type Settings = typeof SETTINGS;
type ValueOf<N extends keyof Settings> = ReturnType<Settings[N]["decode"]>;
/** Each setting's checked and decoded value, by environment variable. */
type Values = { [N in keyof Settings]: ValueOf<N> };
type FieldsOf<G extends Group | undefined> = {
  [N in keyof Settings as Settings[N]["group"] extends G
    ? Settings[N]["field"] extends string
      ? Settings[N]["field"]
      : never
    : never]: ValueOf<N>;
};

/** The service's configuration: the flat fields of SETTINGS, their groups, and what is derived. */
export type Config = FieldsOf<undefined> & {
  /** Null unless PAYZERO_API_URL, PAYZERO_APP_ID and PAYZERO_APP_KEY are all set: no reconciler. */
  payzeroApi: FieldsOf<"payzeroApi"> | null;
  reconcile: FieldsOf<"reconcile">;
  /** Null (RETENTION_DAYS and PERSONAL_DATA_RETENTION_DAYS 0): everything is kept. */
  retention: FieldsOf<"retention"> | null;
  /** OpenTelemetry tracing: on when an OTLP endpoint is set and OTEL_SDK_DISABLED is not true. */
  tracing: boolean;
  /** Replicas that must confirm a message (Redis WAIT) before the receiver answers OK; 0: none. */
  redisMinReplicasAck: number;
};

const isSecret = (name: string): boolean =>
  !Object.hasOwn(SETTINGS, name) || SETTINGS[name as keyof Settings].secret === true;

const requiredProblem = (name: keyof Settings): Problem => {
  const why = SETTINGS[name].required?.why;
  return { setting: name, message: why ? `is required: ${why}` : "is required" };
};

/** The refusal of a role that opens endpoint secrets without keys (the webhooks' keyring repeats it). */
export const MISSING_ENCRYPTION_KEYS: Problem = requiredProblem("ENCRYPTION_KEYS");

const rolesOf = (role: ConfigRole | undefined): readonly SettingRole[] =>
  role === "all" ? SERVING : role === undefined ? [] : [role];

/**
 * The configuration of `role`: every setting given is checked whatever the role (one .env serves
 * them all), but only the role's own requirements apply. No role: none apply (tests, tools that
 * check values). A ConfigError names every problem at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, role?: ConfigRole): Config {
  const roles = rolesOf(role);
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS) as [keyof Settings, Settings[keyof Settings]][]) {
    const raw = env[name] || s.default;
    const value = Value.Convert(s.type, raw);
    if (!Value.Check(s.type, value)) {
      const message = s.format
        ? `must be ${s.format}`
        : (Value.Errors(s.type, value)[0]?.message ?? "is invalid");
      problems.push({ setting: name, message, got: raw, reason: s.reason });
      continue;
    }
    const before = problems.length;
    const refuse: Refuse = (message, detail) => problems.push({ setting: name, message, ...detail });
    const decoded = (s.decode as (v: unknown, r: Refuse) => unknown)(value, refuse);
    // Empty, or a list that names nothing (" , "), where the role needs it.
    const empty = decoded === "" || (Array.isArray(decoded) && decoded.length === 0);
    if (empty && problems.length === before && s.required?.by.some((r) => roles.includes(r)))
      problems.push(requiredProblem(name));
    values[name] = decoded;
  }
  // Guessable secrets are named along with the rest (a copy of .env.example has both kinds).
  const v = values as Partial<Values>;
  if (v.PAYZERO_SIGN_TOKEN && v.ADMIN_TOKEN !== undefined && v.METRICS_TOKEN !== undefined)
    problems.push(...weakSecrets(v.PAYZERO_SIGN_TOKEN, v.ADMIN_TOKEN, v.METRICS_TOKEN));
  if (v.DATABASE_URL !== undefined && v.REDIS_URL !== undefined)
    problems.push(...examplePasswords({ DATABASE_URL: v.DATABASE_URL, REDIS_URL: v.REDIS_URL }));
  if (problems.length > 0) throw new ConfigError(problems, isSecret);
  const config = toConfig(values as Values);
  if (config.problems.length > 0) throw new ConfigError(config.problems, isSecret);
  return config.config;
}

/** The fields of one group (or the flat ones), from the decoded values. */
function fieldsOf<G extends Group | undefined>(values: Values, group: G): FieldsOf<G> {
  const fields: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS))
    if (s.field !== undefined && s.group === group) fields[s.field] = values[name as keyof Values];
  return fields as FieldsOf<G>;
}

/** The Redis rules that span settings, and the fields derived from several. */
function toConfig(v: Values): { config: Config; problems: Problem[] } {
  const flat = fieldsOf(v, undefined);
  const redis = redisTopology({ ...flat, minReplicasAck: v.REDIS_MIN_REPLICAS_ACK });
  const payzeroApi = fieldsOf(v, "payzeroApi");
  const retention = fieldsOf(v, "retention");
  const config: Config = {
    ...flat,
    redisPrefix: redis.redisPrefix,
    redisMinReplicasAck: redis.redisMinReplicasAck,
    payzeroApi: payzeroApi.url && payzeroApi.appId && payzeroApi.appKey ? payzeroApi : null,
    reconcile: fieldsOf(v, "reconcile"),
    retention: retention.days > 0 || retention.personalDataDays > 0 ? retention : null,
    tracing:
      !v.OTEL_SDK_DISABLED &&
      (v.OTEL_EXPORTER_OTLP_ENDPOINT !== "" || v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== ""),
  };
  return { config, problems: redis.problems };
}
