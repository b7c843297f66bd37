// `refund register` and `refund show`: the same operation as POST /v1/refunds, recorded in the audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import type { RefundJson } from "../../../src/refunds/json.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { cli, json } from "./support.js";

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe("refund", () => {
  it("registers a refund once and shows it", async () => {
    const deps = { db, config: testConfig({ databaseUrl: tdb.url }) };
    const first = await cli(deps, "refund", "register", "CR-1", "CO-1", "--amount", "1225");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      "registered: refund CR-1 of order CO-1, 1225 fen, status not answered yet",
    );
    const again = await cli(deps, "refund", "register", "CR-1", "CO-1");
    expect(again.stdout).toContain("already registered");
    const conflict = await cli(deps, "refund", "register", "CR-1", "CO-2");
    expect([conflict.code, conflict.stderr]).toEqual([1, "refund CR-1 is registered for another order"]);
    const shown = json<RefundJson>(await cli(deps, "refund", "show", "CR-1", "--json"));
    expect(shown).toMatchObject({
      mchtRefundOrderNo: "CR-1",
      mchtOrderNo: "CO-1",
      refundAmount: 1225,
      polls: 0,
    });
    expect(await db.auditEntry.count({ where: { action: "refund.register", actorKind: "cli" } })).toBe(1);
    expect((await cli(deps, "refund", "show", "NOPE")).code).toBe(1);
    await expect(cli(deps, "refund", "register", "CR-2", "CO-1", "--amount", "0")).rejects.toThrow(
      /--amount/,
    );
  });
});
