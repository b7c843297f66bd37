// Every Redis key family of the service, named here and nowhere else. Each key starts with
// REDIS_PREFIX and a colon: on a Cluster the prefix holds a hash tag ({pzn}), so every key lands in the
// one slot BullMQ's scripts and our MULTIs need, and `<prefix>:*` is everything the service wrote.
//
// - BullMQ's queues, NOTIFICATION_QUEUE and RECONCILE_QUEUE of ./queue.ts: `<prefix>:<queue>:…`
//   (wait, active, meta, events, one hash per job …), named by BullMQ from its `prefix` option.
// - The families below, which the service writes itself.
import { RECONCILE_QUEUE } from "./queue.js";

/** The keys the service names itself, under `prefix` (Config.redisPrefix). */
export function redisKeys(prefix: string) {
  return {
    /**
     * The reconciler's walk position, shared by every worker process (src/reconcile/scheduler.ts).
     * Inside the reconcile queue's key space, where it has always been: a rename would restart the walk.
     */
    reconcileCursor: `${prefix}:${RECONCILE_QUEUE}:cursor`,
    /** The reconciler's walk over abandoned orders (src/reconcile/policy.ts), beside the other. */
    reconcileAbandonedCursor: `${prefix}:${RECONCILE_QUEUE}:cursor:abandoned`,
    /**
     * rate-limiter-flexible's keyPrefix for endpoints limited to `perSecond` attempts a second
     * (src/webhooks/rate-limit.ts); it appends `:<endpointId>`, and the keys expire with their window.
     */
    webhookRate: (perSecond: number) => `${prefix}:webhook-rate:${perSecond}`,
    /**
     * The console's counts of received notifications by outcome, one hash per minute (`m`) or hour
     * (`h`) slot (src/console/ingest-history.ts).
     */
    consoleReceived: (unit: "m" | "h", slot: number) => `${prefix}:console:received:${unit}:${slot}`,
    /**
     * A console session, named by a MAC of the cookie's id (src/console/session.ts); it expires with the
     * session.
     */
    consoleSession: (key: string) => `${prefix}:console:session:${key}`,
    /**
     * @fastify/rate-limit's nameSpace for the token routes (/v1, docs, metrics, readiness, the console
     * sign-in; src/server.ts); it appends the route and the client's address.
     */
    rateLimit: `${prefix}:rate-limit:`,
  };
}
