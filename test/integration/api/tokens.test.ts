// /v1/tokens: API tokens created, listed and revoked by an admin, each with its scopes. An
// orders:expect token registers orders and is refused (403, naming the scope) elsewhere; a read token
// sees payer data masked, read + personal-data unmasked; a revoked token is refused (401) at once, by
// every api process; the value is shown once, stored only as its hash, and never in the audit log.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { tokenHash } from "../../../src/tokens/secret.js";
import type { Pipeline } from "../../support/pipeline.js";
import { startSeededPipeline } from "./support.js";

let p: Pipeline;
/** A second api process on the same database: a revoke must reach it too. */
let other: FastifyInstance;
beforeAll(async () => {
  p = await startSeededPipeline();
  other = await buildApiApp({ config: p.config, db: p.db });
});
afterAll(async () => {
  await other?.close();
  await p?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function create(name: string, scopes: string[]) {
  const res = await p.app.inject({
    method: "POST",
    url: "/v1/tokens",
    headers: p.authorized,
    payload: { name, scopes },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; name: string; scopes: string[]; token: string };
}

const get = (url: string, token: string, app = p.app) => app.inject({ url, headers: bearer(token) });

describe("POST /v1/tokens", () => {
  it("answers the token once, with a recognisable prefix, and keeps only its hash", async () => {
    const created = await create("erp", ["orders:expect"]);
    expect(created).toEqual({
      id: expect.stringMatching(/^tok_[0-9a-f]{16}$/),
      name: "erp",
      scopes: ["orders:expect"],
      token: expect.stringMatching(/^pzn_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });
    const row = await p.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(tokenHash(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token.slice(4));
  });

  it.each([
    [{ name: "x", scopes: ["orders:write"] }, /unknown scope "orders:write".*orders:expect/],
    [{ name: "x", scopes: ["read", "root"] }, /unknown scope "root"/],
    [{ name: "x", scopes: [] }, /scopes/],
    [{ name: " ", scopes: ["read"] }, /name/],
    [{ scopes: ["read"] }, /name/],
    [{ name: "x", scopes: ["read"], token: "pzn_mine" }, /./],
  ])("refuses %j with 400 and creates nothing", async (payload, message) => {
    const before = await p.db.apiToken.count();
    const res = await p.app.inject({ method: "POST", url: "/v1/tokens", headers: p.authorized, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(message);
    expect(await p.db.apiToken.count()).toBe(before);
  });
});

describe("scopes", () => {
  it("let an orders:expect token register expected orders, and nothing else (403 naming the scope)", async () => {
    const { token } = await create("erp-2", ["orders:expect"]);
    const expected = await p.app.inject({
      method: "POST",
      url: "/v1/orders/expected",
      headers: bearer(token),
      payload: { mchtOrderNos: ["TK-1"] },
    });
    expect(expected.statusCode, expected.body).toBe(202);
    expect(await p.db.order.findUnique({ where: { mchtOrderNo: "TK-1" } })).not.toBeNull();

    for (const url of ["/v1/orders/Q-0", "/v1/orders", "/v1/notifications", "/v1/webhooks"]) {
      const res = await get(url, token);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().message).toContain('"read"');
    }
    const admin = await p.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: bearer(token),
      payload: { url: "https://merchant.test/x" },
    });
    expect(admin.statusCode).toBe(403);
    expect(admin.json().message).toContain('"admin"');
    expect(await p.db.webhookEndpoint.count()).toBe(0);
    expect((await get("/v1/tokens", token)).statusCode).toBe(403);
  });

  it("show a read token every GET with the payer masked, and read + personal-data unmasked", async () => {
    const { token: read } = await create("reports", ["read"]);
    const { token: full } = await create("support", ["read", "personal-data"]);

    const masked = (await get("/v1/orders/Q-0", read)).json();
    expect(masked).toMatchObject({
      mchtOrderNo: "Q-0",
      payerName: "周**",
      payerNumber: "6103**********1234",
      payerPhone: "138****8000",
    });
    const listed = (await get("/v1/orders?limit=100", read)).body;
    const notifications = (await get("/v1/notifications?mchtOrderNo=Q-0", read)).json();
    const notification = (await get(`/v1/notifications/${notifications.items[0].id}`, read)).body;
    for (const body of [JSON.stringify(masked), listed, JSON.stringify(notifications), notification]) {
      for (const plain of ["周Xx", "610327198509271234", "13800138000"]) expect(body).not.toContain(plain);
    }
    expect(JSON.parse(notifications.items[0].msgBody)).toMatchObject({
      mchtOrderNo: "Q-0",
      payerName: "周**",
      payerNumber: "6103**********1234",
      payerPhone: "138****8000",
    });

    for (const token of [full, "test-admin-token-0123456789"]) {
      expect((await get("/v1/orders/Q-0", token)).json()).toMatchObject({
        payerName: "周Xx",
        payerNumber: "610327198509271234",
        payerPhone: "13800138000",
      });
      const n = (await get("/v1/notifications?mchtOrderNo=Q-0", token)).json();
      expect(JSON.parse(n.items[0].msgBody).payerNumber).toBe("610327198509271234");
    }
    // read does not write.
    const write = await p.app.inject({
      method: "POST",
      url: "/v1/orders/expected",
      headers: bearer(full),
      payload: { mchtOrderNos: ["TK-2"] },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().message).toContain('"orders:expect"');
  });

  it("give an admin token everything, tokens included", async () => {
    const { token } = await create("ops", ["admin"]);
    expect((await get("/v1/tokens", token)).statusCode).toBe(200);
    expect((await get("/v1/orders/Q-0", token)).json().payerName).toBe("周Xx");
    expect((await get("/v1/no-such-route", token)).statusCode).toBe(404);
  });
});

describe("GET and DELETE /v1/tokens", () => {
  it("list the tokens without values, with their last use", async () => {
    const { id, token } = await create("lister", ["read"]);
    expect((await get("/v1/orders/Q-1", token)).statusCode).toBe(200);
    const res = await get("/v1/tokens", "test-admin-token-0123456789");
    expect(res.statusCode).toBe(200);
    const listed = res.json().items.find((t: { id: string }) => t.id === id);
    expect(listed).toEqual({
      id,
      name: "lister",
      scopes: ["read"],
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      revokedAt: null,
    });
    expect(res.body).not.toMatch(/pzn_/);
    expect(res.body).not.toContain(tokenHash(token));
  });

  it("revoke a token: 204, then 401 from every api process; a second revoke is 409, an unknown id 404", async () => {
    const { id, token } = await create("leaked", ["read"]);
    expect((await get("/v1/orders/Q-0", token)).statusCode).toBe(200);
    expect((await get("/v1/orders/Q-0", token, other)).statusCode).toBe(200);
    const revoke = (tokenId: string) =>
      p.app.inject({ method: "DELETE", url: `/v1/tokens/${tokenId}`, headers: p.authorized });
    const res = await revoke(id);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");
    for (const app of [p.app, other]) {
      const refused = await get("/v1/orders/Q-0", token, app);
      expect(refused.statusCode).toBe(401);
      expect(refused.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    expect((await revoke(id)).statusCode).toBe(409);
    expect((await revoke("tok_0000000000000000")).statusCode).toBe(404);
    const listed = (await get("/v1/tokens", "test-admin-token-0123456789")).json().items;
    expect(listed.find((t: { id: string }) => t.id === id).revokedAt).toEqual(expect.any(String));
  });

  it("refuse tokens that are not ours, and a revoke or create without the admin scope", async () => {
    expect((await get("/v1/orders/Q-0", "pzn_not-a-token")).statusCode).toBe(401);
    expect((await get("/v1/tokens", "pzn_not-a-token")).statusCode).toBe(401);
    expect((await get("/v1/no-such-route", "pzn_not-a-token")).statusCode).toBe(401);
    const { id, token } = await create("reader", ["read"]);
    const res = await p.app.inject({ method: "DELETE", url: `/v1/tokens/${id}`, headers: bearer(token) });
    expect(res.statusCode).toBe(403);
    expect((await p.db.apiToken.findUniqueOrThrow({ where: { id } })).revokedAt).toBeNull();
  });

  it("record creations and revocations in the audit log, never the value", async () => {
    const { id, token } = await create("audited", ["read", "personal-data"]);
    await p.app.inject({ method: "DELETE", url: `/v1/tokens/${id}`, headers: p.authorized });
    const entries = await p.db.auditEntry.findMany({ where: { target: id }, orderBy: { id: "asc" } });
    expect(entries.map((e) => [e.action, e.actorId, e.summary])).toEqual([
      ["token.create", "admin", { name: "audited", scopes: ["read", "personal-data"] }],
      ["token.revoke", "admin", {}],
    ]);
    const all = JSON.stringify(await p.db.auditEntry.findMany(), (_k, v) =>
      typeof v === "bigint" ? String(v) : v,
    );
    expect(all).not.toContain(token);
    expect(all).not.toContain(tokenHash(token));
  });

  it("name the API token as the actor of its writes", async () => {
    const { id, token } = await create("erp-3", ["orders:expect"]);
    await p.app.inject({
      method: "POST",
      url: "/v1/orders/expected",
      headers: bearer(token),
      payload: { mchtOrderNos: ["TK-3"] },
    });
    const entry = await p.db.auditEntry.findFirstOrThrow({ where: { target: "TK-3" } });
    expect([entry.actorKind, entry.actorId, entry.actorName]).toEqual(["token", id, "erp-3"]);
  });
});
