// Redis replicates asynchronously: a job the master took but had not yet sent to a replica is gone
// after a failover. The receiver answers OK only once enough replicas have the job (Redis WAIT).
import { Cluster } from "ioredis";
import { connectionEpoch, type RedisClient } from "./redis.js";

class ReplicaAckError extends Error {
  constructor(wanted: number, got: number | "reconnected") {
    super(
      got === "reconnected"
        ? "the Redis connection was replaced before the replicas confirmed the message"
        : `${got} of ${wanted} Redis replica(s) confirmed the message in time`,
    );
    this.name = "ReplicaAckError";
  }
}

/**
 * Resolves once `min` replicas have every write this client's connection made before the call, at
 * most `timeoutMs` later; else rejects. `key` is one of the keys written: on a Cluster, WAIT (which has
 * no key) rides in a pipeline with it to the node that holds the key, the one that took the writes.
 * `epochBefore` is connectionEpoch() taken before the writes: a connection replaced since then (a
 * failover) did not make them, and its WAIT would vouch for nothing.
 */
export async function awaitReplicas(
  client: RedisClient,
  key: string,
  min: number,
  timeoutMs: number,
  epochBefore: number,
): Promise<void> {
  const ms = Math.max(1, Math.round(timeoutMs)); // WAIT 0 would block for ever
  let acked: number;
  if (client instanceof Cluster) {
    const answers = await client.pipeline().exists(key).wait(min, ms).exec();
    const [err, n] = answers?.[1] ?? [new Error("redis pipeline aborted"), 0];
    if (err) throw err;
    acked = Number(n);
  } else acked = await client.wait(min, ms);
  if (connectionEpoch(client) !== epochBefore) throw new ReplicaAckError(min, "reconnected");
  if (acked < min) throw new ReplicaAckError(min, acked);
}
