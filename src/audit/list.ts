// The audit log for the three doors, newest first (GET /v1/audit, /console/audit, the CLI's
// `audit list`): the view every door shows.
import { pageOf } from "../db/page.js";
import type { ChainedEntry } from "./chain.js";
import type { AuditDeps } from "./deps.js";
import { type AuditFilter, findEntries } from "./store.js";

export interface AuditEntryJson {
  id: string;
  at: string;
  actor: { kind: string; id: string; name: string | null };
  action: string;
  target: string;
  summary: unknown;
  prevHash: string;
  hash: string;
}

function auditEntryJson(e: ChainedEntry): AuditEntryJson {
  return {
    id: String(e.id),
    at: e.at.toISOString(),
    actor: { kind: e.actorKind, id: e.actorId, name: e.actorName },
    action: e.action,
    target: e.target,
    summary: e.summary,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export interface AuditPage {
  items: AuditEntryJson[];
  /** The last item's id when there are more; null on the last page. */
  next: bigint | null;
}

export async function listAudit({ db }: AuditDeps, filter: AuditFilter): Promise<AuditPage> {
  const rows = await findEntries(db, filter);
  const { items, next } = pageOf(rows, filter.limit, (row) => row.id);
  return { items: items.map(auditEntryJson), next };
}
