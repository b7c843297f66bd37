// Per-endpoint rate limits (rateLimitPerSecond), held across all worker processes together.
//
// Why Redis (rate-limiter-flexible's RateLimiterRedis) rather than a token bucket in Postgres: the
// slot is taken where the POST is about to start, in each process's dispatcher, for rows it got
// either from a claim or straight from its own fan-out. In Postgres that is one more statement per
// attempt, each locking the endpoint's row, so every process's attempts to a busy endpoint would
// queue on one row lock; in Redis it is one atomic script call, on the connection the workers already
// hold, with nothing to clean up (the keys expire with their window). The window is a fixed second:
// at most rateLimitPerSecond attempts start in each, so any span of W seconds sees at most
// rateLimitPerSecond × (W + 1).
// While Redis is not ready each process falls back to the same limit in memory (so N processes may
// send up to N × the limit until Redis is back) rather than stopping every limited endpoint.

import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { redisKeys } from "../../queue/keys.js";
import type { RedisClient } from "../../queue/redis.js";
import type { HeldDelivery } from "./delivery-queue.js";

export interface EndpointLimiter {
  /** 0: the row may be sent now; otherwise milliseconds until its endpoint has a free slot. */
  gate(row: HeldDelivery): number | Promise<number>;
}

/** `redis` absent (a lone process, e.g. tests of other parts): the limits hold in this process only. */
export function createEndpointLimiter(redis: RedisClient | undefined, redisPrefix: string): EndpointLimiter {
  // One limiter per distinct limit (the points are the limiter's): changing an endpoint's limit
  // moves it to another key, which starts with a full window.
  const limiters = new Map<number, RateLimiterMemory | RateLimiterRedis>();
  const limiterFor = (perSecond: number) => {
    let limiter = limiters.get(perSecond);
    if (!limiter) {
      const memory = new RateLimiterMemory({ points: perSecond, duration: 1 });
      limiter = redis
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: redisKeys(redisPrefix).webhookRate(perSecond),
            points: perSecond,
            duration: 1,
            rejectIfRedisNotReady: true,
            insuranceLimiter: memory,
          })
        : memory;
      limiters.set(perSecond, limiter);
    }
    return limiter;
  };
  return {
    gate(row) {
      const perSecond = row.endpoint.rateLimitPerSecond;
      if (perSecond === null) return 0;
      return limiterFor(perSecond)
        .consume(row.endpointId)
        .then(
          () => 0,
          (rejection: unknown) => {
            if (rejection instanceof RateLimiterRes) return Math.max(1, rejection.msBeforeNext);
            throw rejection;
          },
        );
    },
  };
}
