// `tokens create|list|revoke`: a token made from the CLI opens /v1 with its scopes, is listed without
// its value, and is refused once revoked; a bad scope is a usage error that creates nothing; both
// writes are in the audit log with the CLI's user and without the value.
import { userInfo } from "node:os";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { cli, json } from "./support.js";

let tdb: TestDatabase;
let db: Db;
let api: FastifyInstance;
const config = testConfig();
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url);
  api = await buildApiApp({ config, db });
});
afterAll(async () => {
  await api?.close();
  await db?.$disconnect();
  await tdb?.drop();
});

const run = (...argv: string[]) => cli({ db, config }, ...argv);
const expectOrder = (token: string) =>
  api.inject({
    method: "POST",
    url: "/v1/orders/expected",
    headers: { authorization: `Bearer ${token}` },
    payload: { mchtOrderNos: ["CT-1"] },
  });

describe("tokens", () => {
  it("creates a token that opens /v1 with its scopes, lists it without the value, and revokes it", async () => {
    const created = await run("tokens", "create", "--name", "erp", "--scope", "orders:expect", "--json");
    expect(created.code, created.stderr).toBe(0);
    const { id, token, scopes } = json<{ id: string; token: string; scopes: string[] }>(created);
    expect(token).toMatch(/^pzn_/);
    expect(scopes).toEqual(["orders:expect"]);
    expect((await expectOrder(token)).statusCode).toBe(202);
    const read = await api.inject({ url: "/v1/orders/CT-1", headers: { authorization: `Bearer ${token}` } });
    expect(read.statusCode).toBe(403);

    const table = await run("tokens", "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain("orders:expect");
    expect(table.stdout).not.toContain("pzn_");
    const listed = json<{ tokens: Array<{ id: string; lastUsedAt: string | null }> }>(
      await run("tokens", "list", "--json"),
    );
    expect(listed.tokens.map((t) => t.id)).toEqual([id]);
    expect(listed.tokens[0]!.lastUsedAt).not.toBeNull();

    expect(await run("tokens", "revoke", id)).toMatchObject({ code: 0, stdout: `token ${id} revoked` });
    expect((await expectOrder(token)).statusCode).toBe(401);
    expect(await run("tokens", "revoke", id)).toMatchObject({ code: 1, stderr: "token already revoked" });
    expect(await run("tokens", "revoke", "tok_nope")).toMatchObject({ code: 1, stderr: "no such token" });

    const entries = await db.auditEntry.findMany({ where: { target: id }, orderBy: { id: "asc" } });
    expect(entries.map((e) => [e.action, e.actorKind, e.actorId])).toEqual([
      ["token.create", "cli", userInfo().username],
      ["token.revoke", "cli", userInfo().username],
    ]);
    expect(JSON.stringify(entries, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(token);
  });

  it("prints the value once in the table form, with several scopes", async () => {
    const created = await run(
      "tokens",
      "create",
      "--name",
      "support",
      "--scope",
      "read",
      "--scope",
      "personal-data",
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^token\s+pzn_\S+$/m);
    expect(created.stdout).toMatch(/^scopes\s+read, personal-data$/m);
    expect(created.stdout).toContain("shown this once");
  });

  it("refuses an unknown scope or a missing option and creates nothing", async () => {
    const before = await db.apiToken.count();
    const unknown = await run("tokens", "create", "--name", "x", "--scope", "orders:write");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scope "orders:write"/);
    await expect(cli({ db, config }, "tokens", "create", "--scope", "read")).rejects.toThrow(/--name/);
    await expect(cli({ db, config }, "tokens", "create", "--name", "x")).rejects.toThrow(/--scope/);
    await expect(cli({ db, config }, "tokens", "burn")).rejects.toThrow(/create, list, revoke/);
    expect(await db.apiToken.count()).toBe(before);
  });
});
