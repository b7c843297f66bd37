// Every write through any door (/v1, the console, the CLI) is recorded by the operation that made it,
// once: who (the actor), what (the action), on what (the target) and a summary that holds no secret and
// no personal data. Today the record is a log line; the hash-chained audit table replaces the sink
// without touching the operations.
import type { Logger } from "pino";
import { type Actor, describeActor } from "./actor.js";

export type WriteRecord = {
  actor: Actor;
  /** resource.verb, e.g. "endpoint.create", "delivery.retry", "order.expect". */
  action: string;
  /** The resource's id (an endpoint id, an mchtOrderNo, a delivery id). */
  target: string;
  /** What changed, without secrets or personal data (field names, counts, flags). */
  summary?: Record<string, unknown>;
};

export type RecordWrite = (record: WriteRecord) => Promise<void>;

/** The sink until the audit table lands: one info line per write. */
export function logWrites(logger: Pick<Logger, "info">): RecordWrite {
  return async ({ actor, action, target, summary }) => {
    logger.info({ audit: { actor: describeActor(actor), action, target, summary } }, "admin write");
  };
}
