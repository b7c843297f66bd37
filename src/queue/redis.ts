// The one place that builds Redis clients: standalone (REDIS_URL), Sentinel (REDIS_SENTINELS) or
// Cluster (REDIS_CLUSTER_NODES), from the same settings for the receiver, the workers and the probes.
import { hostname } from "node:os";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config.js";

/** What every part of the service holds: BullMQ and the few direct commands work on both. */
export type RedisClient = Redis | Cluster;

export type RedisTarget = Pick<
  Config,
  "redisUrl" | "redisSentinels" | "redisSentinelName" | "redisClusterNodes"
>;

/** How one role's connections behave (fail fast or wait); the target says where they go. */
export interface ConnectionBehaviour {
  /** The role, in the connection's name (CLIENT LIST): payzero-notify:<role>:<host>:<pid>. */
  role: "producer" | "worker";
  maxRetriesPerRequest: number | null;
  connectTimeout?: number;
  /** Delay before reconnect attempt `times` (ms). */
  retryDelay: (times: number) => number;
}

/** Credentials, db and TLS of REDIS_URL: they apply to the master(s) in every mode. */
function urlOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  const db = Number(url.pathname.replace(/^\//, "") || "0");
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db,
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/** Names each connection after its process, so CLIENT LIST tells whose it is (BullMQ names its blocking ones). */
export function connectionName(role: ConnectionBehaviour["role"], pid = process.pid): string {
  return `payzero-notify:${role}:${hostname()}:${pid}`;
}

export function createRedisClient(target: RedisTarget, behaviour: ConnectionBehaviour): RedisClient {
  const role: RedisOptions = {
    connectionName: connectionName(behaviour.role),
    maxRetriesPerRequest: behaviour.maxRetriesPerRequest,
    ...(behaviour.connectTimeout ? { connectTimeout: behaviour.connectTimeout } : {}),
  };
  let client: RedisClient;
  if (target.redisClusterNodes.length > 0) {
    const { db: _db, ...credentials } = urlOptions(target.redisUrl); // a cluster has db 0 only (config checks)
    const options: ClusterOptions = {
      redisOptions: { ...credentials, ...role },
      clusterRetryStrategy: behaviour.retryDelay,
      // Nodes are attached to before they connect (connectionEpoch counts their losses).
      lazyConnect: true,
    };
    client = new Cluster(target.redisClusterNodes, options);
  } else if (target.redisSentinels.length > 0) {
    const credentials = urlOptions(target.redisUrl);
    client = new Redis({
      ...credentials,
      ...role,
      sentinels: target.redisSentinels,
      name: target.redisSentinelName,
      ...(credentials.tls ? { enableTLSForSentinelMode: true } : {}),
      // A demoted master closes its clients' connections, so they ask the Sentinels again. (ioredis's
      // failoverDetector is off: its +switch-master disconnect, arriving while the client is already
      // reconnecting, ends the client for good with "Connection is closed".)
      retryStrategy: behaviour.retryDelay,
      sentinelRetryStrategy: behaviour.retryDelay,
    });
  } else {
    client = new Redis(target.redisUrl, { ...role, retryStrategy: behaviour.retryDelay });
  }
  trackEpoch(client);
  if (client instanceof Cluster)
    client.connect().catch(() => {}); // errors are emitted too
  else reconnectAfterGivingUp(client);
  return client;
}

const closedOnPurpose = new WeakSet<RedisClient>();

/** Marks a client the service itself is closing: it must stay closed. */
export function closingOnPurpose(client: RedisClient): void {
  closedOnPurpose.add(client);
}

/**
 * ioredis gives a client up ("end": every command then fails with "Connection is closed") when a
 * reconnect fails in some ways rather than retrying; a service that must outlive any Redis incident
 * connects it again unless it is being closed.
 */
function reconnectAfterGivingUp(client: Redis): void {
  client.on("end", () => {
    if (closedOnPurpose.has(client)) return;
    setTimeout(() => {
      if (!closedOnPurpose.has(client) && client.status === "end") client.connect().catch(() => {});
    }, 1000).unref();
  });
}

const epochs = new WeakMap<RedisClient, { n: number }>();

/** Counts the connections a client lost or replaced: a standalone/Sentinel reconnect, a Cluster node lost or added. */
function trackEpoch(client: RedisClient): void {
  const epoch = { n: 0 };
  epochs.set(client, epoch);
  const bump = () => {
    epoch.n++;
  };
  if (client instanceof Cluster) {
    client.on("+node", bump);
    client.on("-node", bump);
  } else client.on("close", bump);
}

/**
 * Changes whenever a connection the client wrote on may have been replaced: a WAIT answered after a
 * change says nothing about writes made before it (WAIT counts only its own connection's writes).
 */
export function connectionEpoch(client: RedisClient): number {
  return epochs.get(client)?.n ?? 0;
}

/** Whether the client is connected and takes commands now (a Cluster is once it knows its slots). */
export function isReady(client: RedisClient): boolean {
  return client.status === "ready";
}
