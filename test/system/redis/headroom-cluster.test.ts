// With Redis Cluster the receiver's memory check reads the master that holds the queue, not the
// others: a full master elsewhere changes nothing, the queue's master past the share refuses.
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPorts } from "../../../src/config.js";
import { redisMemoryUsedRatio } from "../../../src/ops/metrics.js";
import { type Headroom, watchHeadroom } from "../../../src/queue/headroom.js";
import { createRedisClient, type RedisClient } from "../../../src/queue/redis.js";
import { ask, type ClusterSetup, startClusterSetup, waitUntil } from "../../support/redis-ha.js";

const QUEUE_KEY = "{pzn}:payzero-notifications:wait";
let cluster: ClusterSetup;
let client: RedisClient;
let headroom: Headroom;

beforeAll(async () => {
  cluster = await startClusterSetup();
  client = createRedisClient(
    {
      redisUrl: "redis://127.0.0.1:6379",
      redisSentinels: [],
      redisSentinelName: "",
      redisClusterNodes: hostPorts(cluster.nodeList),
    },
    { role: "producer", maxRetriesPerRequest: 1, retryDelay: () => 200 },
  );
  await client.set("{pzn}:probe", "x");
}, 120_000);

afterAll(async () => {
  await headroom?.stop();
  client?.disconnect();
  await cluster?.destroy();
});

async function usedMemory(port: number): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(String(await ask(port, "INFO", "memory")))?.[1]);
}

describe("the receiver's Redis memory check on a Cluster", () => {
  it("follows the memory of the queue's master only", async () => {
    expect(client).toBeInstanceOf(Cluster);
    const masters = cluster.nodes.slice(0, 3);
    // The others answer MOVED.
    const holds = await Promise.all(masters.map((m) => ask(m.port, "EXISTS", "{pzn}:probe").catch(() => 0)));
    const queueMaster = masters[holds.indexOf(1)]!;
    const others = masters.filter((m) => m !== queueMaster);
    // The other masters past 0.8 of their maxmemory; the queue's master far from it.
    for (const m of others)
      await ask(m.port, "CONFIG", "SET", "maxmemory", Math.round((await usedMemory(m.port)) * 1.1));
    await ask(queueMaster.port, "CONFIG", "SET", "maxmemory", 1024 * 1024 * 1024);
    headroom = watchHeadroom(client, QUEUE_KEY, 0.8, 100);
    // The gauge is the last reading: the queue's master's, a sliver of its 1 GB.
    const ratio = async () => (await redisMemoryUsedRatio.get()).values[0]?.value ?? 0;
    await waitUntil("a first reading", async () => ((await ratio()) > 0 ? true : undefined));
    expect(await ratio()).toBeLessThan(0.1);
    expect(headroom.allows()).toBe(true);
    // The queue's master past the share: refused.
    const used = await usedMemory(queueMaster.port);
    await ask(queueMaster.port, "CONFIG", "SET", "maxmemory", Math.round(used * 1.1));
    await waitUntil("refused", async () => (headroom.allows() ? undefined : true));
    expect(headroom.allows()).toBe(false);
    expect(await ratio()).toBeGreaterThan(0.8);
  }, 60_000);
});
