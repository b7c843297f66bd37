// /console/tokens: a session lists the API tokens, creates one (its value in the answer to that POST
// only), and revokes it, after which /v1 refuses it; a form without its CSRF token does nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pipeline } from "../../support/pipeline.js";
import { type Browserish, FORM, signIn, startConsolePipeline } from "./support.js";

let p: Pipeline;
let b: Browserish;
beforeAll(async () => {
  p = await startConsolePipeline();
  b = await signIn(p.app);
});
afterAll(() => p.close());

/** The form as a browser sends it: one `scopes` per ticked box. */
const createForm = (name: string, scopes: string[], csrf = b.csrf) =>
  p.app.inject({
    method: "POST",
    url: "/console/tokens",
    headers: { ...FORM, cookie: b.cookie },
    payload: new URLSearchParams([
      ["_csrf", csrf],
      ["name", name],
      ...scopes.map((s): [string, string] => ["scopes", s]),
    ]).toString(),
  });

const useToken = (token: string) =>
  p.app.inject({ url: "/v1/orders?limit=1", headers: { authorization: `Bearer ${token}` } });

describe("API tokens in the console", () => {
  it("are created with the value shown once, listed without it, and revoked", async () => {
    const empty = await b.get("/console/tokens");
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain("No API token yet");
    expect(empty.body).toContain('value="orders:expect"');

    const created = await createForm("reports", ["read", "personal-data"]);
    expect(created.statusCode).toBe(201);
    const token = /<code class="secret" id="token">(pzn_[^<]+)<\/code>/.exec(created.body)?.[1] ?? "";
    expect(token).toMatch(/^pzn_/);
    expect(created.body).toContain("not shown again");
    expect((await useToken(token)).statusCode).toBe(200);

    const row = await p.db.apiToken.findFirstOrThrow({ where: { name: "reports" } });
    expect(row.scopes).toEqual(["read", "personal-data"]);
    const list = await b.get("/console/tokens");
    expect(list.body).toContain(row.id);
    expect(list.body).toContain("read, personal-data");
    expect(list.body).not.toContain(token);
    expect(list.body).not.toContain("pzn_");

    const revoked = await b.post(`/console/tokens/${row.id}/revoke`, {});
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe("/console/tokens?notice=token-revoked");
    expect((await useToken(token)).statusCode).toBe(401);
    const after = await b.get("/console/tokens?notice=token-revoked");
    expect(after.body).toContain("Token revoked");
    expect(after.body).not.toContain(`Revoke reports`);
    expect((await b.post(`/console/tokens/${row.id}/revoke`, {})).statusCode).toBe(409);

    const actions = (
      await p.db.auditEntry.findMany({ where: { target: row.id }, orderBy: { id: "asc" } })
    ).map((e) => [e.action, e.actorKind]);
    expect(actions).toEqual([
      ["token.create", "console"],
      ["token.revoke", "console"],
    ]);
  });

  it("refuse an unknown scope or none with the problem shown, creating nothing", async () => {
    const before = await p.db.apiToken.count();
    const unknown = await createForm("x", ["read", "everything"]);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain("unknown scope &quot;everything&quot;");
    expect(unknown.body).toContain('value="x"');
    const none = await createForm("x", []);
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain("scopes must name at least one");
    expect(await p.db.apiToken.count()).toBe(before);
  });

  it("create nothing without the form's CSRF token", async () => {
    const before = await p.db.apiToken.count();
    const forged = await createForm("forged", ["admin"], "not-the-token");
    expect(forged.statusCode).toBe(403);
    expect(await p.db.apiToken.count()).toBe(before);
  });
});
