// The receiver stops taking notifications (503: Payzero resends) before Redis is full, so the workers
// always have room to take, finish and remove the jobs queued: with `noeviction`, a Redis past
// maxmemory refuses the very scripts that would drain it (BullMQ's moveToActive writes first with
// RPOPLPUSH, which Redis refuses when out of memory). Redis memory is read by a background poll of
// INFO memory (never per request), on the master that holds the queue.
import { Cluster } from "ioredis";
import { redisMemoryUsedRatio } from "../ops/metrics.js";
import { repeat, withTimeout } from "../util.js";
import type { RedisClient } from "./redis.js";

export interface RedisMemory {
  /** used_memory, bytes. */
  used: number;
  /** maxmemory, bytes; 0: no limit. */
  max: number;
}

/** used_memory and maxmemory from the text of INFO memory. */
export function parseMemoryInfo(info: string): RedisMemory {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:(\\d+)\\s*$`, "m").exec(info);
    if (!match) throw new Error(`INFO memory has no ${name}`);
    return Number(match[1]);
  };
  return { used: field("used_memory"), max: field("maxmemory") };
}

/**
 * What a queued message costs Redis, from its text's length, on the high side: measured 5,620 bytes
 * for a 4,887-byte msgBody and 1,129 for a 588-byte one (docs/operations.md, "Redis memory").
 */
export function estimatedBytes(msgBodyLength: number): number {
  return Math.ceil(msgBodyLength * 1.25) + 1024;
}

/**
 * Whether the receiver may queue more: false once Redis memory (as last read, plus the estimated
 * bytes this process queued since) reaches `ratio` × maxmemory. Always true without maxmemory or
 * before a first reading.
 */
export function mayAccept(memory: RedisMemory | null, queuedSince: number, ratio: number): boolean {
  if (!memory || memory.max === 0) return true;
  return memory.used + queuedSince < ratio * memory.max;
}

export interface Headroom {
  /** The share of maxmemory past which allows() is false. */
  ratio: number;
  /** False while Redis memory is past the accepted share of maxmemory: answer 503. */
  allows: () => boolean;
  /** Counts a message of `msgBodyLength` queued by this process, until the next reading. */
  queued: (msgBodyLength: number) => void;
  stop: () => Promise<void>;
}

const MEMORY_POLL_INTERVAL_MS = 1000;

/**
 * Reads Redis memory every `intervalMs` and answers allows() from the last reading. Between two
 * readings this process's own messages are added to it, so a burst cannot run far past the limit
 * before the next reading sees it. A failed reading keeps the last one (an unreachable Redis is
 * refused by the enqueue itself).
 */
export function watchHeadroom(
  connection: RedisClient,
  queueKey: string,
  ratio: number,
  intervalMs = MEMORY_POLL_INTERVAL_MS,
): Headroom {
  let memory: RedisMemory | null = null;
  let queuedSince = 0;
  const poll = repeat(
    async () => {
      const node = await masterOf(connection, queueKey);
      const queuedBefore = queuedSince;
      memory = parseMemoryInfo(await withTimeout(node.info("memory"), intervalMs));
      // What was queued during the reading may or may not be in it: counted in it (the next reading tells).
      queuedSince -= queuedBefore;
      redisMemoryUsedRatio.set(memory.max === 0 ? 0 : memory.used / memory.max);
    },
    { intervalMs },
    () => {},
  );
  return {
    ratio,
    allows: () => mayAccept(memory, queuedSince, ratio),
    queued: (msgBodyLength) => {
      queuedSince += estimatedBytes(msgBodyLength);
    },
    stop: () => poll.stop(),
  };
}

/** The connection that holds `key`: itself, or with Cluster the master of the key's slot. */
async function masterOf(connection: RedisClient, key: string): Promise<RedisClient> {
  if (!(connection instanceof Cluster)) return connection;
  const slot = Number(await connection.call("CLUSTER", "KEYSLOT", key));
  const master = connection.slots[slot]?.[0];
  const node = connection.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === master);
  if (!node) throw new Error(`no master known for slot ${slot}`);
  return node;
}
