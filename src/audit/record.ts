// Every write through any door (/v1, the console, the CLI) is recorded by the operation that made it,
// once: who (the actor), what (the action), on what (the target) and a summary that holds no secret and
// no personal data. The operations see only RecordWrite; the sink behind it is chosen where their deps
// are built (api/app.ts, cli/run.ts): auditWrites, the hash-chained audit log of store.ts.
import type { Logger } from "pino";
import { type Actor, describeActor } from "../actor.js";
import type { Db } from "../db/client.js";
import { appendEntry } from "./store.js";

export type WriteRecord = {
  actor: Actor;
  /** resource.verb, e.g. "endpoint.create", "delivery.retry", "order.expect". */
  action: string;
  /** The resource's id (an endpoint id, an mchtOrderNo, a delivery id). */
  target: string;
  /** What changed, without secrets or personal data (field names, counts, flags). */
  summary?: Record<string, unknown>;
};

/** Records one write; rejects when it could not be recorded (the caller's operation then fails). */
export type RecordWrite = (record: WriteRecord) => Promise<void>;

/** A sink that only logs: one info line per write. */
function logWrites(logger: Pick<Logger, "info">): RecordWrite {
  return async ({ actor, action, target, summary }) => {
    logger.info({ audit: { actor: describeActor(actor), action, target, summary } }, "admin write");
  };
}

/**
 * The audit log's sink: each write appended to audit_log, chained to the one before. With a logger,
 * the line is logged first, so a write whose entry could not be appended still leaves a trace there.
 */
export function auditWrites(db: Db, logger?: Pick<Logger, "info">): RecordWrite {
  const log = logger && logWrites(logger);
  return async (record) => {
    await log?.(record);
    await appendEntry(db, record);
  };
}
