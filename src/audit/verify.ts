// `audit verify`: recomputes the chain from the first entry to the head, in runs, and names the first
// entry that does not match. The head is read first: entries appended meanwhile are left for next time.
// An anchor (an entry's id and hash kept elsewhere) also catches a chain rewritten from before it on.
import { CHAIN_START, checkChain, checkHead } from "./chain.js";
import type { AuditDeps } from "./deps.js";
import { readHead, readRun } from "./store.js";

/** Entries read at a time. */
const RUN = 1000;

export interface AuditAnchor {
  id: bigint;
  hash: string;
}

export type AuditVerdict =
  | { ok: true; entries: string; lastHash: string }
  | { ok: false; entryId: string; problem: string };

export async function verifyAudit(
  { db }: AuditDeps,
  input: { anchor?: AuditAnchor; run?: number } = {},
): Promise<AuditVerdict> {
  const run = input.run ?? RUN;
  const head = await readHead(db);
  let at = CHAIN_START;
  for (;;) {
    const entries = await readRun(db, at.nextId - 1n, head.entries, run);
    const checked = checkChain(at, entries);
    if (!checked.ok) return { ok: false, entryId: String(checked.entryId), problem: checked.problem };
    at = checked.at;
    if (entries.length < run) break;
  }
  const end = checkHead(at, head);
  if (!end.ok) return { ok: false, entryId: String(end.entryId), problem: end.problem };
  const { anchor } = input;
  if (anchor) {
    const [entry] = await readRun(db, anchor.id - 1n, anchor.id, 1);
    if (!entry)
      return {
        ok: false,
        entryId: String(anchor.id),
        problem: `entry ${anchor.id} (the anchor) is not in the log, which holds ${head.entries}: removed`,
      };
    if (entry.hash !== anchor.hash)
      return {
        ok: false,
        entryId: String(anchor.id),
        problem: `entry ${anchor.id} does not have the anchored hash: the chain was rewritten up to it`,
      };
  }
  return { ok: true, entries: String(head.entries), lastHash: head.lastHash };
}
