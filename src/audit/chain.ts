// The audit log's hash chain, pure: an entry's canonical form, its hash, and the check of a run of
// entries against the one before them. Each hash covers the entry's fields and the previous hash, so an
// entry changed, removed or moved breaks the chain at the first entry after it (or at the head).
import { createHash } from "node:crypto";

/** The previous hash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** An entry's fields, as stored (src/audit/store.ts) and as the hash covers them. */
export interface ChainedFields {
  id: bigint;
  at: Date;
  actorKind: string;
  actorId: string;
  actorName: string | null;
  action: string;
  target: string;
  /** JSON as jsonb gives it back (see jsonValue). */
  summary: unknown;
  prevHash: string;
}

export interface ChainedEntry extends ChainedFields {
  hash: string;
}

/**
 * A value as it will read back from jsonb: what JSON keeps (undefined fields dropped, dates as text).
 * The hash is computed from this, so the entry verifies once stored.
 */
export function jsonValue(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? {}));
}

/** JSON with object keys sorted at every level: jsonb keeps neither the order nor the spacing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    const fields = keys.map(
      (k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`,
    );
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The text the hash covers: a JSON array of the fields in a fixed order, versioned. */
export function canonicalForm(e: ChainedFields): string {
  return JSON.stringify([
    "audit.v1",
    String(e.id),
    e.at.toISOString(),
    e.actorKind,
    e.actorId,
    e.actorName,
    e.action,
    e.target,
    canonicalJson(e.summary),
    e.prevHash,
  ]);
}

export function entryHash(e: ChainedFields): string {
  return createHash("sha256").update(canonicalForm(e), "utf8").digest("hex");
}

/** Where a check of the chain stands: the entry it expects next. */
export interface ChainPosition {
  /** The id the next entry must have (ids are gapless from 1). */
  nextId: bigint;
  /** The hash the next entry must name as its previous. */
  prevHash: string;
}

export const CHAIN_START: ChainPosition = { nextId: 1n, prevHash: GENESIS_HASH };

export type ChainCheck = { ok: true; at: ChainPosition } | { ok: false; entryId: bigint; problem: string };

/**
 * Checks entries (ascending ids) that follow `from`; the first that does not match is named with why.
 * An entry's own hash wrong: it was changed. Its previous hash wrong, or an id skipped: the entry before
 * it was changed or removed.
 */
export function checkChain(from: ChainPosition, entries: readonly ChainedEntry[]): ChainCheck {
  let at = from;
  for (const e of entries) {
    if (e.id !== at.nextId)
      return {
        ok: false,
        entryId: at.nextId,
        problem:
          e.id > at.nextId
            ? `entry ${at.nextId} is missing (the next entry is ${e.id}): removed`
            : `entry ${e.id} is out of place (expected ${at.nextId})`,
      };
    if (e.hash !== entryHash(e))
      return { ok: false, entryId: e.id, problem: `entry ${e.id} does not match its hash: changed` };
    if (e.prevHash !== at.prevHash)
      return {
        ok: false,
        entryId: e.id,
        problem: `entry ${e.id} does not follow the entry before it (previous hash differs): an entry before it was changed or removed`,
      };
    at = { nextId: e.id + 1n, prevHash: e.hash };
  }
  return { ok: true, at };
}

/** The end of the chain against the head (the count and last hash every append updates). */
export function checkHead(at: ChainPosition, head: { entries: bigint; lastHash: string }): ChainCheck {
  const held = at.nextId - 1n;
  if (held < head.entries)
    return {
      ok: false,
      entryId: held + 1n,
      problem: `entry ${held + 1n} is missing: the log ends at entry ${held} but holds ${head.entries}: removed`,
    };
  if (at.prevHash !== head.lastHash)
    return {
      ok: false,
      entryId: held,
      problem: `entry ${held} is not the last entry appended (its hash differs from the head's)`,
    };
  return { ok: true, at };
}
