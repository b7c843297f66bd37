// Workers must drain a Redis that is at or past maxmemory (noeviction), since only they free its
// memory. Redis refuses a Lua script (without flags) once it is out of memory only at its first
// write, and only if that write is one that may grow memory: BullMQ's moveToFinished deletes the
// job's lock first, so completing a job (which frees it: removeOnComplete) always runs, but
// moveToActive's first write is RPOPLPUSH, so a worker could not take its first job (issue 28).
// The scripts that take and hold a job are therefore defined on the worker's connection with one
// harmless write first. And BullMQ's loop asks again at once when moveToActive fails with a command
// error: BackoffWorker waits, longer each time, instead of spinning.
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisClient as BullRedisClient, type Job, Worker } from "bullmq";
import { doublingDelay } from "../util.js";
import type { RedisClient } from "./redis.js";

interface BullScript {
  name: string;
  content: string;
  keys: number;
}

// BullMQ exports neither its scripts nor its version from the package root (nor types for them).
const require = createRequire(import.meta.url);
const bullScripts = require("bullmq/dist/cjs/scripts/index.js") as Record<string, BullScript>;
const bullVersion = (require("bullmq/dist/cjs/version.js") as { version: string }).version;

/**
 * Taking a job (moveToActive), keeping it (extendLocks) and taking back a stopped worker's jobs
 * (moveStalledJobsToWait): each writes first with a command Redis refuses when out of memory.
 */
const TAKE_AND_HOLD = ["moveToActive", "extendLocks", "moveStalledJobsToWait"] as const;

/**
 * A DEL of a key that never exists: a write Redis allows when out of memory, after which the script
 * runs whole. Its key shares the script's first key's hash tag (Cluster).
 */
const FIRST_WRITE = 'redis.call("DEL", KEYS[1] .. ":pzn-never-written")\n';

/**
 * Defines BullMQ's take-and-hold scripts on `connection` with FIRST_WRITE first, before any Worker
 * uses it: BullMQ defines only the commands a connection does not have yet (RedisConnection.loadCommands).
 */
export function letWorkersTakeJobsWhenFull(connection: RedisClient): void {
  for (const name of TAKE_AND_HOLD) {
    const script = bullScripts[name];
    if (!script) throw new Error(`BullMQ ${bullVersion} has no ${name} script`);
    connection.defineCommand(`${script.name}:${bullVersion}`, {
      numberOfKeys: script.keys,
      lua: FIRST_WRITE + script.content,
    });
  }
}

/** 100 ms, 200 ms, 400 ms … capped at 5 s: a worker refused for a while asks 12 times a minute. */
function refusedBackoffMs(refusals: number): number {
  return doublingDelay(refusals, 100, 5000);
}

/** A Worker that waits after Redis refuses it a job (BullMQ waits only after connection errors). */
export class BackoffWorker<D = unknown, R = unknown> extends Worker<D, R> {
  #refusals = 0;
  readonly #closing = new AbortController();

  override async close(force?: boolean): Promise<void> {
    this.#closing.abort();
    return super.close(force);
  }

  protected override async moveToActive(
    client: BullRedisClient,
    token: string,
    name?: string,
  ): Promise<Job<D, R>> {
    try {
      const job = await super.moveToActive(client, token, name);
      this.#refusals = 0;
      return job;
    } catch (err) {
      this.#refusals++;
      await sleep(refusedBackoffMs(this.#refusals), undefined, { signal: this.#closing.signal }).catch(
        () => {},
      );
      throw err;
    }
  }
}
