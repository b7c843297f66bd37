// The audit log's hash chain: canonical form, hashes, and the check naming the first entry that does
// not match (changed, removed in the middle, removed at the end, moved).
import { describe, expect, it } from "vitest";
import {
  CHAIN_START,
  type ChainedEntry,
  canonicalForm,
  canonicalJson,
  checkChain,
  checkHead,
  entryHash,
  GENESIS_HASH,
  jsonValue,
} from "../../../src/audit/chain.js";

function chain(n: number): ChainedEntry[] {
  const entries: ChainedEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const fields = {
      id: BigInt(i),
      at: new Date(Date.UTC(2026, 11, 7, 12, 0, i)),
      actorKind: "token",
      actorId: "admin",
      actorName: "ADMIN_TOKEN",
      action: "order.expect",
      target: `E-${i}`,
      summary: { expected: 1, added: i % 2, needDeclare: null },
      prevHash,
    };
    const entry = { ...fields, hash: entryHash(fields) };
    entries.push(entry);
    prevHash = entry.hash;
  }
  return entries;
}

const headOf = (entries: ChainedEntry[]) => ({
  entries: BigInt(entries.length),
  lastHash: entries.at(-1)?.hash ?? GENESIS_HASH,
});

function verify(entries: ChainedEntry[], head = headOf(entries)) {
  const run = checkChain(CHAIN_START, entries);
  return run.ok ? checkHead(run.at, head) : run;
}

describe("the canonical form", () => {
  it("does not depend on key order or on what jsonb drops", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: "é" } })).toBe(
      '{"a":{"c":"é","d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(jsonValue({ a: undefined, at: new Date(0) })).toEqual({ at: "1970-01-01T00:00:00.000Z" });
    expect(jsonValue(undefined)).toEqual({});
  });

  it("covers every field: changing any one changes the hash", () => {
    const [e] = chain(1) as [ChainedEntry];
    const base = entryHash(e);
    const changes: Array<Partial<ChainedEntry>> = [
      { id: 2n },
      { at: new Date(e.at.getTime() + 1) },
      { actorKind: "cli" },
      { actorId: "other" },
      { actorName: null },
      { action: "order.replay" },
      { target: "E-2" },
      { summary: { expected: 2, added: 1, needDeclare: null } },
      { prevHash: "1".repeat(64) },
    ];
    for (const change of changes)
      expect(entryHash({ ...e, ...change }), Object.keys(change)[0]).not.toBe(base);
    // Fields cannot run into each other: the form is a JSON array.
    expect(canonicalForm({ ...e, actorId: "a", actorName: "b" })).not.toBe(
      canonicalForm({ ...e, actorId: 'a","b', actorName: null }),
    );
  });
});

describe("checking the chain", () => {
  it("passes a whole chain, and an empty one against an empty head", () => {
    expect(verify(chain(5))).toMatchObject({ ok: true, at: { nextId: 6n } });
    expect(verify([])).toMatchObject({ ok: true });
  });

  it("checks a chain in runs, carrying the position", () => {
    const all = chain(6);
    const first = checkChain(CHAIN_START, all.slice(0, 3));
    expect(first.ok).toBe(true);
    if (first.ok) expect(checkChain(first.at, all.slice(3))).toMatchObject({ ok: true, at: { nextId: 7n } });
  });

  it("names an entry whose content was changed", () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, summary: { expected: 1, added: 0, needDeclare: true } };
    expect(verify(entries)).toEqual({
      ok: false,
      entryId: 3n,
      problem: "entry 3 does not match its hash: changed",
    });
  });

  it("names an entry rewritten with a fresh hash by the entry after it", () => {
    const entries = chain(5);
    const changed = { ...entries[1]!, target: "E-X" };
    entries[1] = { ...changed, hash: entryHash(changed) };
    expect(verify(entries)).toMatchObject({
      ok: false,
      entryId: 3n,
      problem: expect.stringMatching(/^entry 3 does not follow/),
    });
  });

  it("names a removed entry in the middle, at the start and at the end", () => {
    const entries = chain(5);
    expect(verify(entries.filter((e) => e.id !== 3n))).toMatchObject({
      ok: false,
      entryId: 3n,
      problem: "entry 3 is missing (the next entry is 4): removed",
    });
    expect(verify(entries.slice(1), headOf(entries))).toMatchObject({ ok: false, entryId: 1n });
    expect(verify(entries.slice(0, 4), headOf(entries))).toEqual({
      ok: false,
      entryId: 5n,
      problem: "entry 5 is missing: the log ends at entry 4 but holds 5: removed",
    });
  });

  it("names a last entry that is not the one the head recorded", () => {
    const entries = chain(3);
    expect(verify(entries, { entries: 3n, lastHash: "f".repeat(64) })).toMatchObject({
      ok: false,
      entryId: 3n,
    });
  });

  it("names an entry out of place", () => {
    const entries = chain(3);
    expect(verify([entries[0]!, entries[0]!, entries[2]!])).toEqual({
      ok: false,
      entryId: 2n,
      problem: "entry 1 is out of place (expected 2)",
    });
  });
});
