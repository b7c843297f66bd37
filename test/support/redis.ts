import { Redis } from "ioredis";
import type { RedisTarget } from "../../src/queue/redis.js";

/** Deletes every key matching `pattern` (SCAN, never KEYS): only this run's keys. */
export async function deleteKeys(redisUrl: string, pattern: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A lone Redis at `redisUrl`, as the connection factories take it (no Sentinel, no Cluster). */
export function standalone(redisUrl: string): RedisTarget {
  return { redisUrl, redisSentinels: [], redisSentinelName: "", redisClusterNodes: [] };
}
