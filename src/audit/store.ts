// The audit log in Postgres (audit_log, audit_head): appending an entry, reading runs of entries and
// the head, a page of the list. Appends are serialised by locking the head row, so concurrent writers
// in any number of processes make one chain, and ids follow one another with no gap.
import type { Actor } from "../actor.js";
import type { Db } from "../db/client.js";
import type { Prisma } from "../generated/prisma/client.js";
import { type ChainedEntry, entryHash, jsonValue } from "./chain.js";
import type { WriteRecord } from "./record.js";

/** An actor as the log's three columns. */
function actorColumns(actor: Actor): { actorKind: string; actorId: string; actorName: string | null } {
  switch (actor.kind) {
    case "token":
      return { actorKind: "token", actorId: actor.id, actorName: actor.name };
    case "console":
      return { actorKind: "console", actorId: actor.session, actorName: null };
    case "cli":
      return { actorKind: "cli", actorId: actor.user, actorName: null };
    case "system":
      return { actorKind: "system", actorId: actor.name, actorName: null };
  }
}

/** Appends one entry, chained to the last; resolves once it is committed. */
export async function appendEntry(db: Db, record: WriteRecord): Promise<ChainedEntry> {
  return db.$transaction(
    async (tx) => {
      // The lock every append takes: the id and the previous hash are read under it.
      const [head] = await tx.$queryRaw<Array<{ entries: bigint; lastHash: string }>>`
        SELECT entries, last_hash AS "lastHash" FROM audit_head WHERE id = 1 FOR UPDATE`;
      if (!head) throw new Error("audit_head has no row: the audit_log migration did not run");
      // Postgres' clock, taken under the lock so times follow ids; at the column's precision.
      const [clock] = await tx.$queryRaw<Array<{ at: Date }>>`SELECT clock_timestamp()::timestamptz(3) AS at`;
      const fields = {
        id: head.entries + 1n,
        at: clock!.at,
        ...actorColumns(record.actor),
        action: record.action,
        target: record.target,
        summary: jsonValue(record.summary),
        prevHash: head.lastHash,
      };
      const entry = { ...fields, hash: entryHash(fields) };
      await tx.$executeRaw`
        WITH appended AS (
          INSERT INTO audit_log (id, at, actor_kind, actor_id, actor_name, action, target, summary, prev_hash, hash)
          VALUES (${entry.id}, ${entry.at}, ${entry.actorKind}, ${entry.actorId}, ${entry.actorName},
                  ${entry.action}, ${entry.target}, ${JSON.stringify(entry.summary)}::jsonb,
                  ${entry.prevHash}, ${entry.hash})
          RETURNING id, hash)
        UPDATE audit_head SET entries = appended.id, last_hash = appended.hash FROM appended WHERE audit_head.id = 1`;
      return entry;
    },
    // Appends wait for each other on the lock: allow a queue of them (the defaults are 2 s and 5 s).
    { maxWait: 10_000, timeout: 15_000 },
  );
}

export async function readHead(db: Db): Promise<{ entries: bigint; lastHash: string }> {
  const head = await db.auditHead.findUnique({ where: { id: 1 } });
  if (!head) throw new Error("audit_head has no row: was it removed by hand?");
  return head;
}

const chained = (row: Prisma.AuditEntryGetPayload<object>): ChainedEntry => row;

/** Entries with ids in (after, upTo], ascending, at most `limit`. */
export async function readRun(db: Db, after: bigint, upTo: bigint, limit: number): Promise<ChainedEntry[]> {
  const rows = await db.auditEntry.findMany({
    where: { id: { gt: after, lte: upTo } },
    orderBy: { id: "asc" },
    take: limit,
  });
  return rows.map(chained);
}

export interface AuditFilter {
  action?: string;
  target?: string;
  /** The last id of the previous page: this page holds older entries. */
  before?: bigint;
  limit: number;
}

/** Newest first; limit + 1 rows, so the caller knows whether there is a next page. */
export async function findEntries(db: Db, f: AuditFilter): Promise<ChainedEntry[]> {
  const rows = await db.auditEntry.findMany({
    where: {
      action: f.action,
      target: f.target,
      id: f.before === undefined ? undefined : { lt: f.before },
    },
    orderBy: { id: "desc" },
    take: f.limit + 1,
  });
  return rows.map(chained);
}
