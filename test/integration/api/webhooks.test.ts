import type { FastifyInstance } from "fastify";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEndpoint } from "../../../src/webhooks/endpoints/endpoint-sealing.js";
import { generateSecret } from "../../../src/webhooks/endpoints/secret.js";
import { auth, buildV1, createHarness, type Harness, testKeyring } from "../../support/harness.js";

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await createHarness();
  app = await buildV1(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

type Json = Record<string, unknown>;

/** An endpoint as a GET shows it: what its creation answered, without the secret. */
function shown({ secret: _secret, ...rest }: Json): Json {
  return rest;
}
async function call(method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: Json) {
  const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  const body = (res.body === "" ? {} : res.json()) as Json;
  return { status: res.statusCode, body, raw: res.body };
}

describe("/v1/webhooks secrets", () => {
  it("shows the secret in the answers of a creation and a rotation only, never in a GET or the list", async () => {
    const created = await call("POST", "/v1/webhooks", { url: "https://merchant.test/once" });
    const id = String(created.body.id);
    const first = String(created.body.secret);
    expect(first).toMatch(/^whsec_/);
    const rotated = await call("PATCH", `/v1/webhooks/${id}`, { secret: null });
    const second = String(rotated.body.secret);
    expect(second).toMatch(/^whsec_/);
    const reads = [
      await call("GET", `/v1/webhooks/${id}`),
      await call("GET", "/v1/webhooks?limit=100"),
      await call("PATCH", `/v1/webhooks/${id}`, { description: "no rotation" }),
    ];
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(read.raw).not.toContain("whsec_");
      expect(read.raw).not.toContain(first.slice(6));
      expect(read.raw).not.toContain(second.slice(6));
    }
    expect(reads[0]!.body).not.toHaveProperty("secret");
  });
});

describe("/v1/webhooks", () => {
  it("needs the bearer token", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/webhooks" });
    expect(res.statusCode).toBe(401);
  });

  it("creates an endpoint with a generated whsec_ secret, every type by default", async () => {
    const res = await call("POST", "/v1/webhooks", { url: "https://merchant.test/hook" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ url: "https://merchant.test/hook", msgTypes: null, enabled: true });
    expect(res.body.id).toMatch(/^ep_/);
    expect(typeof res.body.createdAt).toBe("string");
    const secret = String(res.body.secret);
    expect(secret).toMatch(/^whsec_/);
    expect(() => new Webhook(secret)).not.toThrow();
    const stored = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: String(res.body.id) } });
    expect(stored).toMatchObject({ msgTypes: [], payStatuses: [], declareStatuses: [], headers: null });
    // Sealed at rest: the column opens to the secret the API answered, and does not hold it.
    expect(stored.secret).toMatch(/^enc:v2:/);
    expect(stored.secret).not.toContain(secret.slice("whsec_".length, 20));
    expect(testKeyring.open(stored.id, "secret", stored.secret)).toBe(secret);
  });

  it("keeps a given secret, msgTypes and description", async () => {
    const secret = generateSecret(24);
    const res = await call("POST", "/v1/webhooks", {
      url: "http://10.0.0.1:8080/in",
      msgTypes: ["DECLARE_STATUS_NOTIFY"],
      secret,
      description: "customs desk",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      secret,
      msgTypes: ["DECLARE_STATUS_NOTIFY"],
      description: "customs desk",
    });
  });

  it.each([
    [{ url: "ftp://merchant.test/hook" }, /http/],
    [{ url: "not a url" }, /url/],
    [{ url: "https://merchant.test/", msgTypes: [] }, /null for every type/],
    [{ url: "https://merchant.test/", secret: "s3cret" }, /whsec_/],
    [{ url: "https://merchant.test/", secret: "whsec_!!!" }, /secret/],
    [{ msgTypes: null }, /url/],
    [{ url: "https://merchant.test/", extra: 1 }, /./],
    // Prisma cannot pass a lone surrogate in a text[]: it failed with 500.
    [{ url: "https://merchant.test/", msgTypes: ["PAY\ud800"] }, /msgTypes/],
  ])("refuses %j with 400", async (body, message) => {
    const res = await call("POST", "/v1/webhooks", body);
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toMatch(message);
  });

  it("refuses msgTypes with a lone surrogate in a PATCH with 400, changing nothing", async () => {
    const created = await call("POST", "/v1/webhooks", { url: "https://merchant.test/s" });
    const res = await call("PATCH", `/v1/webhooks/${created.body.id}`, { msgTypes: ["\udc00"] });
    expect(res.status, res.raw).toBe(400);
    expect((await call("GET", `/v1/webhooks/${created.body.id}`)).body).toEqual(shown(created.body));
  });

  it("reads, updates, rotates the secret of and deletes an endpoint", async () => {
    const created = await call("POST", "/v1/webhooks", { url: "https://merchant.test/a", msgTypes: ["X"] });
    const id = String(created.body.id);
    expect((await call("GET", `/v1/webhooks/${id}`)).body).toEqual(shown(created.body));

    const patched = await call("PATCH", `/v1/webhooks/${id}`, {
      url: "https://merchant.test/b",
      msgTypes: null,
      enabled: false,
      description: "moved",
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: "https://merchant.test/b",
      msgTypes: null,
      enabled: false,
      description: "moved",
    });
    // No rotation, no secret in the answer.
    expect(patched.body).not.toHaveProperty("secret");

    const given = generateSecret();
    expect((await call("PATCH", `/v1/webhooks/${id}`, { secret: given })).body.secret).toBe(given);
    const rotated = await call("PATCH", `/v1/webhooks/${id}`, { secret: null });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(given);

    expect((await call("PATCH", `/v1/webhooks/${id}`, { msgTypes: [] })).status).toBe(400);
    expect((await call("PATCH", `/v1/webhooks/${id}`, { url: "file:///etc/passwd" })).status).toBe(400);
    expect((await call("PATCH", `/v1/webhooks/${id}`, { secret: "nope" })).status).toBe(400);

    const deleted = await call("DELETE", `/v1/webhooks/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.raw).toBe("");
    expect((await call("GET", `/v1/webhooks/${id}`)).status).toBe(404);
    expect((await call("DELETE", `/v1/webhooks/${id}`)).status).toBe(404);
    expect((await call("PATCH", `/v1/webhooks/${id}`, { enabled: true })).status).toBe(404);
  });

  it("keeps the old secret signing for the overlap after a rotation, and changes nothing on a bad one", async () => {
    const created = await call("POST", "/v1/webhooks", { url: "https://merchant.test/rotate" });
    const id = String(created.body.id);
    const first = String(created.body.secret);
    expect(created.body.previousSecretExpiresAt).toBeNull();
    const stored = async () => {
      const row = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
      return { ...row, ...openEndpoint(testKeyring, row) };
    };

    const before = Date.now();
    const rotated = await call("PATCH", `/v1/webhooks/${id}`, { secret: null });
    const until = Date.parse(String(rotated.body.previousSecretExpiresAt));
    const overlapMs = h.config.webhookSecretOverlapSeconds * 1000;
    expect(until).toBeGreaterThanOrEqual(before + overlapMs - 1);
    expect(until).toBeLessThanOrEqual(Date.now() + overlapMs);
    expect(await stored()).toMatchObject({ secret: rotated.body.secret, previousSecret: first });

    const short = await call("PATCH", `/v1/webhooks/${id}`, { secret: null, previousSecretValidSeconds: 60 });
    expect(Date.parse(String(short.body.previousSecretExpiresAt)) - Date.now()).toBeLessThanOrEqual(60_000);
    expect((await stored()).previousSecret).toBe(rotated.body.secret);

    for (const bad of [
      { previousSecretValidSeconds: 60 },
      { secret: null, previousSecretValidSeconds: -1 },
      { secret: null, previousSecretValidSeconds: 8 * 24 * 3600 },
      { secret: null, previousSecretValidSeconds: 1.5 },
      { secret: "whsec_short", previousSecretValidSeconds: 0 },
    ]) {
      const before = await stored();
      expect((await call("PATCH", `/v1/webhooks/${id}`, bad)).status).toBe(400);
      expect(await stored()).toEqual(before);
    }

    const retired = await call("PATCH", `/v1/webhooks/${id}`, {
      secret: null,
      previousSecretValidSeconds: 0,
    });
    expect(retired.body.previousSecretExpiresAt).toBeNull();
    expect(await stored()).toMatchObject({ previousSecret: null, previousSecretExpiresAt: null });
  });
  it('takes "ordering": "per-order" at create and change, "none" by default; refuses others with 400, changing nothing', async () => {
    const plain = await call("POST", "/v1/webhooks", { url: "https://merchant.test/plain" });
    expect(plain.body.ordering).toBe("none");
    const created = await call("POST", "/v1/webhooks", {
      url: "https://merchant.test/ordered",
      ordering: "per-order",
    });
    expect(created.status).toBe(201);
    expect(created.body.ordering).toBe("per-order");
    const id = String(created.body.id);
    expect((await call("GET", `/v1/webhooks/${id}`)).body.ordering).toBe("per-order");

    const bad = await call("PATCH", `/v1/webhooks/${id}`, { ordering: "fifo" });
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toContain("ordering");
    expect(
      (await call("POST", "/v1/webhooks", { url: "https://merchant.test/x", ordering: "" })).status,
    ).toBe(400);
    expect((await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).ordering).toBe("per-order");

    const changed = await call("PATCH", `/v1/webhooks/${id}`, { ordering: "none" });
    expect(changed.status).toBe(200);
    expect(changed.body.ordering).toBe("none");
    await call("DELETE", `/v1/webhooks/${id}`);
    await call("DELETE", `/v1/webhooks/${String(plain.body.id)}`);
  });

  it("lists endpoints in creation order, a page at a time", async () => {
    await h.db.webhookEndpoint.deleteMany();
    const urls = ["https://m.test/1", "https://m.test/2", "https://m.test/3"];
    for (const url of urls) await call("POST", "/v1/webhooks", { url });
    const first = await call("GET", "/v1/webhooks?limit=2");
    expect((first.body.items as Json[]).map((i) => i.url)).toEqual(urls.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call("GET", `/v1/webhooks?limit=2&cursor=${first.body.nextCursor}`);
    expect((second.body.items as Json[]).map((i) => i.url)).toEqual(urls.slice(2));
    expect(second.body.nextCursor).toBeNull();
    expect((await call("GET", "/v1/webhooks?limit=0")).status).toBe(400);
    expect((await call("GET", "/v1/webhooks?enabled=true")).status).toBe(400);
  });

  it("answers 400 to a cursor it did not make, one decoding to a NUL too", async () => {
    for (const cursor of ["AA", "_w"]) {
      const res = await call("GET", `/v1/webhooks?cursor=${cursor}`);
      expect(res.status, res.raw).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: "Bad Request",
        message: "querystring/cursor is not valid",
      });
    }
  });
});

describe("PATCH /v1/webhooks/:id: headers follow the host", () => {
  async function withHeaders(url: string) {
    const created = await call("POST", "/v1/webhooks", {
      url,
      headers: { authorization: "Bearer merchant-credential-1", "x-tenant": "t1" },
    });
    return String(created.body.id);
  }
  const storedHeaders = async (id: string) =>
    openEndpoint(testKeyring, await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).headers;

  it("drops the stored headers when the url moves to another host, and says which", async () => {
    const id = await withHeaders("https://merchant.test/hook");
    const moved = await call("PATCH", `/v1/webhooks/${id}`, { url: "https://elsewhere.test/hook" });
    expect(moved.status).toBe(200);
    expect(moved.body.headersDropped).toEqual(["authorization", "x-tenant"]);
    expect(moved.body.headers).toEqual([]);
    expect(await storedHeaders(id)).toEqual({});
  });

  it("drops them on a change of scheme or port too, and keeps them on a new path of the same host", async () => {
    const id = await withHeaders("https://merchant.test/hook");
    const path = await call("PATCH", `/v1/webhooks/${id}`, { url: "https://MERCHANT.test:443/other" });
    expect(path.body.headersDropped).toBeUndefined();
    expect(Object.keys(await storedHeaders(id))).toEqual(["authorization", "x-tenant"]);
    const scheme = await call("PATCH", `/v1/webhooks/${id}`, { url: "http://merchant.test/other" });
    expect(scheme.body.headersDropped).toEqual(["authorization", "x-tenant"]);
    const id2 = await withHeaders("https://merchant.test/hook");
    const port = await call("PATCH", `/v1/webhooks/${id2}`, { url: "https://merchant.test:8443/hook" });
    expect(port.body.headersDropped).toEqual(["authorization", "x-tenant"]);
  });

  it("keeps only what the same request sets again", async () => {
    const id = await withHeaders("https://merchant.test/hook");
    const moved = await call("PATCH", `/v1/webhooks/${id}`, {
      url: "https://elsewhere.test/hook",
      headers: { authorization: "Bearer elsewhere-credential" },
    });
    expect(moved.body.headersDropped).toEqual(["x-tenant"]);
    expect(await storedHeaders(id)).toEqual({ authorization: "Bearer elsewhere-credential" });
  });
});
