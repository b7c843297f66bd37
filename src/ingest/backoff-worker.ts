// A BullMQ Worker that waits after Redis refuses to hand it a job. BullMQ's own loop asks again at
// once when moveToActive fails with a command error (only connection errors wait, runRetryDelay): a
// Redis past maxmemory refuses moveToActive (its first write, RPOPLPUSH, is one Redis refuses when out
// of memory), and the worker spun on it, one error a try (issue 28). Completing a job still works then
// (moveToFinished deletes the job's lock first, which Redis allows), and it hands the next job over.
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisClient as BullRedisClient, type Job, Worker } from "bullmq";

/** 100 ms, 200 ms, 400 ms … capped at 5 s: a worker refused for a while asks 12 times a minute. */
export function refusedBackoffMs(refusals: number): number {
  return Math.min(100 * 2 ** Math.max(0, refusals - 1), 5000);
}

/** Events of the queue kept in Redis (BullMQ's default: about 10,000); the service reads none of them. */
const EVENTS_KEPT_WHEN_FULL = 100;

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
      const events = this.keys.events;
      if (isOutOfMemory(err) && events) await freeRoomToTake(client, events).catch(() => {});
      await sleep(refusedBackoffMs(this.#refusals), undefined, { signal: this.#closing.signal }).catch(
        () => {},
      );
      throw err;
    }
  }
}

export function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("OOM ");
}

/**
 * With noeviction, a Redis past maxmemory refuses the first job a worker takes, and only taking jobs
 * frees memory. The queue's event stream is the one thing of the queue's nobody needs: trimming it
 * (XTRIM, which Redis allows when out of memory) frees some room, so the next moveToActive can run.
 */
async function freeRoomToTake(client: BullRedisClient, eventsKey: string): Promise<void> {
  await client.xtrim(eventsKey, "MAXLEN", EVENTS_KEPT_WHEN_FULL);
}
