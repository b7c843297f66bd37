// What config.ts's settings are made of beyond their type: lists, keys, subnets, Redis nodes, and the
// rules that span several settings (weak secrets, Redis topology).
import { isIP } from "node:net";
import type { Problem } from "./config-problems.js";

/** Refuses a setting's value: the message follows the setting's name (see formatProblem). */
export type Refuse = (message: string, detail?: Pick<Problem, "got" | "reason">) => void;

export const list = (text: string): string[] =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port, [v6]:port": the syntax is the setting's pattern; each port is checked here. */
export function hostPorts(text: string): HostPort[] {
  return list(text).map((s) => {
    const at = s.lastIndexOf(":");
    return { host: s.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(s.slice(at + 1)) };
  });
}

export function checkedHostPorts(text: string, refuse: Refuse): HostPort[] {
  const nodes = hostPorts(text);
  const bad = nodes.find((n) => n.port < 1 || n.port > 65535);
  if (bad) refuse(`port ${bad.port} is not 1-65535`);
  return nodes;
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

export function subnets(text: string, refuse: Refuse): string[] {
  const given = list(text);
  const bad = given.find((s) => parseSubnet(s) === undefined);
  if (bad !== undefined)
    refuse(`entry ${JSON.stringify(bad)} is not an IP address or CIDR subnet (e.g. 169.254.10.0/24)`);
  return given;
}

const ENCRYPTION_KEY_BYTES = 32;

/** Each key base64 of 32 random bytes (openssl rand -base64 32); the values are never echoed. */
export function encryptionKeys(text: string, refuse: Refuse): Buffer[] {
  return list(text).map((k, i) => {
    const key = Buffer.from(k, "base64");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k) || key.length !== ENCRYPTION_KEY_BYTES)
      refuse(
        `key ${i + 1} is not base64 of ${ENCRYPTION_KEY_BYTES} bytes (make one with: openssl rand -base64 32)`,
      );
    return key;
  });
}

/** The placeholders .env.example ships: a copy of it left unedited must not start a payment receiver. */
const EXAMPLE_TOKENS: readonly string[] = ["change-me"];
/** An ADMIN_TOKEN opens every order and the webhook secrets: at least this long (empty keeps /v1 closed). */
const MIN_ADMIN_TOKEN_LENGTH = 16;
const MAKE_ONE = "set a random one (e.g. openssl rand -hex 24)";

/** Public or guessable secrets, refused whatever the role; the values themselves are never echoed. */
/** Example passwords of the compose stack (its old default, .env.example's): refused in a URL. */
const EXAMPLE_PASSWORDS = ["payzero", "change-me"];

/** A DATABASE_URL or REDIS_URL whose password is an example one. */
export function examplePasswords(urls: Record<"DATABASE_URL" | "REDIS_URL", string>): Problem[] {
  return Object.entries(urls).flatMap(([setting, url]) => {
    let password = "";
    try {
      password = decodeURIComponent(new URL(url).password);
    } catch {
      return [];
    }
    return EXAMPLE_PASSWORDS.includes(password)
      ? [{ setting, message: "holds an example password: set a random one (npm run setup writes them)" }]
      : [];
  });
}

export function weakSecrets(signTokens: string[], adminToken: string, metricsToken: string): Problem[] {
  const problems: Problem[] = [];
  if (signTokens.some((t) => EXAMPLE_TOKENS.includes(t)))
    problems.push({
      setting: "PAYZERO_SIGN_TOKEN",
      message: "holds the example value of .env.example: set the signToken of Payzero's merchant console",
    });
  if (EXAMPLE_TOKENS.includes(adminToken))
    problems.push({
      setting: "ADMIN_TOKEN",
      message: "holds the example value of .env.example: set a random one, or leave it empty",
    });
  else if (adminToken.length > 0 && adminToken.length < MIN_ADMIN_TOKEN_LENGTH)
    problems.push({
      setting: "ADMIN_TOKEN",
      message: `is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: ${MAKE_ONE}, or leave it empty to close /v1`,
    });
  // The same bar as ADMIN_TOKEN's: a guessable token would protect /metrics in name only.
  if (EXAMPLE_TOKENS.includes(metricsToken))
    problems.push({
      setting: "METRICS_TOKEN",
      message: "holds an example value: set a random one, or leave it empty",
    });
  else if (metricsToken.length > 0 && metricsToken.length < MIN_ADMIN_TOKEN_LENGTH)
    problems.push({
      setting: "METRICS_TOKEN",
      message: `is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: ${MAKE_ONE}, or leave it empty to keep /metrics open`,
    });
  else if (metricsToken.length > 0 && metricsToken === adminToken)
    problems.push({
      setting: "METRICS_TOKEN",
      message: "equals ADMIN_TOKEN: a scraper's token must not open /v1",
    });
  return problems;
}

/** BullMQ's scripts touch several keys of a queue at once: on a Cluster they must share a slot. */
const HASH_TAG = /\{[^{}]+\}/;

export interface RedisSettings {
  redisUrl: string;
  redisPrefix: string;
  redisSentinels: HostPort[];
  redisSentinelName: string;
  redisClusterNodes: HostPort[];
  /** Undefined: not set. */
  minReplicasAck: number | undefined;
}

/** Standalone, Sentinel or Cluster, and what each needs of the other Redis settings. */
export function redisTopology(r: RedisSettings): {
  problems: Problem[];
  redisPrefix: string;
  redisMinReplicasAck: number;
} {
  const sentinel = r.redisSentinels.length > 0;
  const cluster = r.redisClusterNodes.length > 0;
  const problems: Problem[] = [];
  if (sentinel && cluster)
    problems.push({
      setting: "REDIS_SENTINELS",
      message: "and REDIS_CLUSTER_NODES are both set: choose Sentinel or Cluster",
    });
  if (sentinel && !r.redisSentinelName)
    problems.push({
      setting: "REDIS_SENTINEL_NAME",
      message: "is required with REDIS_SENTINELS (the master's name in the Sentinels' config)",
    });
  if (cluster) {
    const db = new URL(r.redisUrl).pathname.replace(/^\//, "");
    if (db !== "" && db !== "0")
      problems.push({
        setting: "REDIS_URL",
        message: `selects db ${db}: a Redis Cluster has db 0 only (leave the path empty or /0)`,
      });
    if (r.redisPrefix && !HASH_TAG.test(r.redisPrefix))
      problems.push({
        setting: "REDIS_PREFIX",
        message: `must hold a hash tag with REDIS_CLUSTER_NODES, e.g. {${r.redisPrefix.replace(/[{}]/g, "")}}`,
        got: r.redisPrefix,
        reason: "BullMQ's scripts need all of a queue's keys in one slot",
      });
  }
  return {
    problems,
    redisPrefix: r.redisPrefix || (cluster ? "{pzn}" : "pzn"),
    // Replicas are what Sentinel and Cluster are for: one must confirm, unless told otherwise.
    redisMinReplicasAck: r.minReplicasAck ?? (sentinel || cluster ? 1 : 0),
  };
}
