// The audit log in Postgres: concurrent appends from two processes' clients make one chain with no
// fork and no gap; verify passes it, and names the entry after a row changed or removed by hand.
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { entryHash, GENESIS_HASH } from "../../../src/audit/chain.js";
import { auditDeps } from "../../../src/audit/deps.js";
import { auditWrites } from "../../../src/audit/record.js";
import { appendEntry, readHead } from "../../../src/audit/store.js";
import { verifyAudit } from "../../../src/audit/verify.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";

let tdb: TestDatabase;
let one: Db;
let two: Db;
let sql: pg.Client;
beforeAll(async () => {
  tdb = await createTestDatabase();
  // Two clients with pools of their own: as two api or CLI processes.
  one = createDb(tdb.url, 5);
  two = createDb(tdb.url, 5);
  sql = new pg.Client({ connectionString: tdb.url });
  await sql.connect();
});
afterAll(async () => {
  await one?.$disconnect();
  await two?.$disconnect();
  await sql?.end();
  await tdb?.drop();
});
beforeEach(async () => {
  await sql.query(`TRUNCATE audit_log; UPDATE audit_head SET entries = 0, last_hash = repeat('0', 64)`);
});

const actor = { kind: "token", id: "admin", name: "ADMIN_TOKEN" } as const;
const verify = (input?: Parameters<typeof verifyAudit>[1]) =>
  verifyAudit(auditDeps(one, auditWrites(one)), input);

async function appendMany(n: number): Promise<void> {
  for (let i = 1; i <= n; i++)
    await appendEntry(one, { actor, action: "order.expect", target: `E-${i}`, summary: { expected: 1 } });
}

describe("appending", () => {
  it("chains concurrent appends from two clients into one gapless chain that verifies", async () => {
    const writes = Array.from({ length: 60 }, (_, i) =>
      appendEntry(i % 2 === 0 ? one : two, {
        actor: i % 2 === 0 ? actor : { kind: "cli", user: "ops" },
        action: "order.expect",
        target: `C-${i}`,
        summary: { expected: 1, added: 1, needDeclare: null, i },
      }),
    );
    await Promise.all(writes);
    const rows = await sql.query<{ id: string; prev_hash: string; hash: string }>(
      "SELECT id, prev_hash, hash FROM audit_log ORDER BY id",
    );
    expect(rows.rows.map((r) => Number(r.id))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // No fork: every hash is the previous hash of exactly the next entry.
    expect(new Set(rows.rows.map((r) => r.prev_hash)).size).toBe(60);
    expect(rows.rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(await readHead(one)).toEqual({ id: 1, entries: 60n, lastHash: rows.rows.at(-1)!.hash });
    expect(await verify()).toEqual({ ok: true, entries: "60", lastHash: rows.rows.at(-1)!.hash });
  });

  it("stores the summary as given, less what JSON drops, and it still verifies", async () => {
    await appendEntry(one, {
      actor,
      action: "endpoint.update",
      target: "ep_1",
      summary: { z: 1.5, a: ["x", { k: true }], gone: undefined, unicode: "周 ✓", big: 2 ** 53 },
    });
    const { rows } = await sql.query("SELECT summary FROM audit_log");
    expect(rows[0].summary).toEqual({ z: 1.5, a: ["x", { k: true }], unicode: "周 ✓", big: 2 ** 53 });
    expect(await verify()).toMatchObject({ ok: true, entries: "1" });
  });

  it("fails the write's record when the entry cannot be appended", async () => {
    await sql.query("ALTER TABLE audit_log RENAME TO audit_log_away");
    try {
      await expect(auditWrites(one)({ actor, action: "order.expect", target: "E-1" })).rejects.toThrow();
    } finally {
      await sql.query("ALTER TABLE audit_log_away RENAME TO audit_log");
    }
    expect(await readHead(one)).toMatchObject({ entries: 0n });
  });
});

describe("verify", () => {
  it("passes an empty log", async () => {
    expect(await verify()).toEqual({ ok: true, entries: "0", lastHash: GENESIS_HASH });
  });

  it("names an entry whose summary was changed by hand", async () => {
    await appendMany(5);
    await sql.query(`UPDATE audit_log SET summary = '{"expected": 2}' WHERE id = 3`);
    expect(await verify()).toEqual({
      ok: false,
      entryId: "3",
      problem: "entry 3 does not match its hash: changed",
    });
  });

  it("names the entry after one changed by hand with its hash recomputed, even if its prev_hash is fixed up", async () => {
    await appendMany(4);
    // Whoever recomputes entry 2's hash must rewrite every later entry and the head, not just one.
    const { rows } = await sql.query("SELECT * FROM audit_log WHERE id = 2");
    const r = rows[0];
    const forged = entryHash({
      id: 2n,
      at: r.at,
      actorKind: r.actor_kind,
      actorId: r.actor_id,
      actorName: r.actor_name,
      action: r.action,
      target: "E-forged",
      summary: r.summary,
      prevHash: r.prev_hash,
    });
    await sql.query("UPDATE audit_log SET target = 'E-forged', hash = $1 WHERE id = 2", [forged]);
    expect(await verify()).toEqual({
      ok: false,
      entryId: "3",
      problem:
        "entry 3 does not follow the entry before it (previous hash differs): an entry before it was changed or removed",
    });
    // Entry 3's prev_hash pointed at the forged hash: its own hash, which covers prev_hash, no longer matches.
    await sql.query("UPDATE audit_log SET prev_hash = $1 WHERE id = 3", [forged]);
    expect(await verify()).toEqual({
      ok: false,
      entryId: "3",
      problem: "entry 3 does not match its hash: changed",
    });
  });

  it("names a removed middle entry", async () => {
    await appendMany(5);
    await sql.query("DELETE FROM audit_log WHERE id = 2");
    expect(await verify()).toEqual({
      ok: false,
      entryId: "2",
      problem: "entry 2 is missing (the next entry is 3): removed",
    });
  });

  it("names a removed last entry", async () => {
    await appendMany(5);
    await sql.query("DELETE FROM audit_log WHERE id = 5");
    expect(await verify()).toEqual({
      ok: false,
      entryId: "5",
      problem: "entry 5 is missing: the log ends at entry 4 but holds 5: removed",
    });
  });

  it("verifies in runs, carrying the chain from one run to the next", async () => {
    await appendMany(20);
    expect(await verify({ run: 7 })).toMatchObject({ ok: true, entries: "20" });
    await sql.query(`UPDATE audit_log SET action = 'order.replay' WHERE id = 15`);
    expect(await verify({ run: 7 })).toMatchObject({ ok: false, entryId: "15" });
    await sql.query("DELETE FROM audit_log WHERE id IN (14, 15)");
    expect(await verify({ run: 7 })).toMatchObject({ ok: false, entryId: "14" });
  });
});
