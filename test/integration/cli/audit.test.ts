// `audit verify` and `audit list`: the CLI's own writes (expect, replay) are in the log with the CLI's
// user; verify passes, then exits 1 naming the entry after a row changed or removed by hand.
import { userInfo } from "node:os";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryHash } from "../../../src/audit/chain.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { createEndpoint } from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import { cli, json } from "./support.js";

let tdb: TestDatabase;
let db: Db;
let sql: pg.Client;
const config = testConfig();
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url);
  sql = new pg.Client({ connectionString: tdb.url });
  await sql.connect();
});
afterAll(async () => {
  await db?.$disconnect();
  await sql?.end();
  await tdb?.drop();
});

const run = (...argv: string[]) => cli({ db, config }, ...argv);

interface Entry {
  id: string;
  actor: { kind: string; id: string; name: string | null };
  action: string;
  target: string;
  summary: unknown;
}

describe("audit", () => {
  it("records the CLI's writes with its user, lists them, and verify finds a row changed or removed by hand", async () => {
    const notification = await db.notification.create({
      data: {
        contentKey: "c".repeat(64),
        msgType: "PAY_STATUS_NOTIFY",
        timestamp: 1_554_990_000_000n,
        msgBody: orderBody({ mchtOrderNo: "AU-1", payerName: "周小明" }),
        receivedAt: new Date(),
      },
    });
    // An endpoint for the replay to deliver to (nothing is sent: no worker runs here).
    await createEndpoint(db, { url: "http://127.0.0.1:9/hook" });
    expect((await run("expect", "AU-1", "AU-2")).code).toBe(0);
    expect((await run("replay", String(notification.id))).code).toBe(0);
    expect((await run("expect", "AU-3")).code).toBe(0);
    expect((await run("expect", "AU-4")).code).toBe(0);

    const listed = await run("audit", "list", "--json");
    expect(listed.code).toBe(0);
    const { entries } = json<{ entries: Entry[] }>(listed);
    const user = userInfo().username;
    expect(entries.map((e) => [e.id, e.action, e.target])).toEqual([
      ["4", "order.expect", "AU-4"],
      ["3", "order.expect", "AU-3"],
      ["2", "notification.replay", String(notification.id)],
      ["1", "order.expect", "AU-1 and 1 more"],
    ]);
    for (const e of entries) expect(e.actor).toEqual({ kind: "cli", id: user, name: null });
    expect(entries[2]!.summary).toEqual({ webhookId: null, new: 1, retried: 0 });
    expect(JSON.stringify(entries)).not.toContain("周");
    const replays = await run("audit", "list", "--action", "notification.replay");
    expect(replays.stdout.split("\n")).toHaveLength(3);
    expect(replays.stdout).toContain(`cli ${user}`);

    expect(await run("audit", "verify")).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^audit log verified: 4 entries, last hash [0-9a-f]{64}$/),
    });

    await sql.query(`UPDATE audit_log SET summary = '{"expected": 9}' WHERE id = 3`);
    expect(await run("audit", "verify")).toEqual({
      code: 1,
      stdout: "",
      stderr: "audit log does not verify at entry 3: entry 3 does not match its hash: changed",
    });
    await sql.query(
      `UPDATE audit_log SET summary = '{"added": 1, "expected": 1, "needDeclare": null}' WHERE id = 3`,
    );
    expect((await run("audit", "verify")).code).toBe(0);

    await sql.query("DELETE FROM audit_log WHERE id = 2");
    expect(await run("audit", "verify", "--json")).toMatchObject({ code: 1 });
    expect(json(await run("audit", "verify", "--json"))).toEqual({
      ok: false,
      entryId: "2",
      problem: "entry 2 is missing (the next entry is 3): removed",
    });
  });

  it("finds the last entry removed", async () => {
    await sql.query(`TRUNCATE audit_log; UPDATE audit_head SET entries = 0, last_hash = repeat('0', 64)`);
    expect((await run("expect", "AL-1")).code).toBe(0);
    expect((await run("expect", "AL-2")).code).toBe(0);
    expect((await run("audit", "verify")).code).toBe(0);
    await sql.query("DELETE FROM audit_log WHERE id = 2");
    expect(await run("audit", "verify")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "audit log does not verify at entry 2: entry 2 is missing: the log ends at entry 1 but holds 2: removed",
    });
  });

  it("finds a chain rewritten from the start with an anchor kept from before", async () => {
    await sql.query(`TRUNCATE audit_log; UPDATE audit_head SET entries = 0, last_hash = repeat('0', 64)`);
    for (const no of ["AN-1", "AN-2", "AN-3"]) expect((await run("expect", no)).code).toBe(0);
    const verified = json<{ ok: boolean; entries: string; lastHash: string }>(
      await run("audit", "verify", "--json"),
    );
    const anchor = `${verified.entries}:${verified.lastHash}`;
    expect((await run("audit", "verify", "--anchor", anchor)).code).toBe(0);

    // Entry 1 changed and every hash after it, and the head, recomputed: the chain alone verifies.
    const { rows } = await sql.query("SELECT * FROM audit_log ORDER BY id");
    let prevHash = "0".repeat(64);
    for (const r of rows) {
      const target = r.id === "1" ? "AN-forged" : r.target;
      const hash = entryHash({
        id: BigInt(r.id),
        at: r.at,
        actorKind: r.actor_kind,
        actorId: r.actor_id,
        actorName: r.actor_name,
        action: r.action,
        target,
        summary: r.summary,
        prevHash,
      });
      await sql.query("UPDATE audit_log SET target = $1, prev_hash = $2, hash = $3 WHERE id = $4", [
        target,
        prevHash,
        hash,
        r.id,
      ]);
      prevHash = hash;
    }
    await sql.query("UPDATE audit_head SET last_hash = $1", [prevHash]);
    expect((await run("audit", "verify")).code).toBe(0);
    expect(await run("audit", "verify", "--anchor", anchor)).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "audit log does not verify at entry 3: entry 3 does not have the anchored hash: the chain was rewritten up to it",
    });
    expect((await run("audit", "verify", "--anchor", `9:${verified.lastHash}`)).stderr).toBe(
      "audit log does not verify at entry 9: entry 9 (the anchor) is not in the log, which holds 3: removed",
    );
  });

  it("says how to call it", async () => {
    await expect(run("audit")).rejects.toThrow("audit: missing verify or list");
    await expect(run("audit", "check")).rejects.toThrow('audit: unknown "check" (verify, list)');
    await expect(run("audit", "list", "--limit", "0")).rejects.toThrow("--limit must be");
    await expect(run("audit", "verify", "--anchor", "3")).rejects.toThrow("--anchor must be <entry id>:");
  });
});
