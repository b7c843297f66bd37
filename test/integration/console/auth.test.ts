// The console's gate: no session, nothing but the sign-in page; cookies as the issue asks; CSRF on every action.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { memorySessionStore, sessionSecret, sessions } from "../../../src/console/session.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import type { Pipeline } from "../../support/pipeline.js";
import { FORM, form, signIn, startConsolePipeline } from "./support.js";

const clock = { now: Date.UTC(2026, 10, 28, 9, 0, 0) };
let p: Pipeline;

beforeAll(async () => {
  p = await startConsolePipeline(clock);
  await p.db.order.create({ data: { mchtOrderNo: "SECRET-ORDER-1", payStatus: "PAY_SUCCEED" } });
});
afterAll(async () => p.close());

describe("without a session", () => {
  it.each([
    ["GET", "/console"],
    ["GET", "/console/orders"],
    ["GET", "/console/orders/SECRET-ORDER-1"],
    ["GET", "/console/deliveries"],
    ["GET", "/console/no-such-page"],
    ["POST", "/console/deliveries/1/retry"],
    ["POST", "/console/endpoints/x/retry-failed"],
  ])("%s %s goes to the sign-in page and reveals nothing", async (method, url) => {
    const res = await p.app.inject({ method: method as "GET" | "POST", url, headers: FORM, payload: "" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/console\/login/);
    expect(res.body).not.toContain("SECRET-ORDER-1");
    expect(res.body).toBe("");
  });

  it("keeps the page asked for as where to go after signing in, and no other site", async () => {
    const res = await p.app.inject({ url: "/console/orders/SECRET-ORDER-1" });
    expect(res.headers.location).toBe("/console/login?next=%2Fconsole%2Forders%2FSECRET-ORDER-1");
    const page = await p.app.inject({ url: "/console/login?next=//evil.example/console" });
    expect(page.body).toContain('name="next" value="/console"');
  });

  it("serves a sign-in page with a labelled Admin token field, under a strict CSP", async () => {
    const res = await p.app.inject({ url: "/console/login" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<label for="token">Admin token<\/label>/);
    expect(res.body).toContain(">Sign in</button>");
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("refuses a wrong token and sets no cookie", async () => {
    const res = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: FORM,
      payload: form({ token: "wrong" }),
    });
    expect(res.statusCode).toBe(401);
    expect(res.cookies).toHaveLength(0);
    expect(res.body).toContain("That is not the admin token.");
  });

  it("refuses a sign-in posted from another site", async () => {
    const res = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: { ...FORM, "sec-fetch-site": "cross-site" },
      payload: form({ token: TEST_ADMIN_TOKEN }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.cookies).toHaveLength(0);
  });
});

describe("the session cookie", () => {
  it("is HttpOnly, SameSite=Strict, for /console, and __Host- with Secure and HSTS only behind a trusted HTTPS proxy", async () => {
    const plain = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: FORM,
      payload: form({ token: TEST_ADMIN_TOKEN, next: "/console/orders" }),
    });
    expect(plain.statusCode).toBe(303);
    expect(plain.headers.location).toBe("/console/orders");
    const header = String(plain.headers["set-cookie"]);
    expect(header).toMatch(/^pzn_console=[^;]+; Path=\/console; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    expect(plain.headers["strict-transport-security"]).toBeUndefined();

    // X-Forwarded-Proto from anyone (TRUST_PROXY empty) changes nothing: it is spoofable.
    const spoofed = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: { ...FORM, "x-forwarded-proto": "https" },
      payload: form({ token: TEST_ADMIN_TOKEN }),
    });
    expect(String(spoofed.headers["set-cookie"])).toMatch(/^pzn_console=[^;]+; Path=\/console;/);
    expect(String(spoofed.headers["set-cookie"])).not.toMatch(/Secure/);

    const behindProxy = await buildApiApp({
      config: { ...p.config, trustProxy: ["127.0.0.1"] },
      db: p.db,
      redis: p.connection,
    });
    try {
      const proxied = await behindProxy.inject({
        method: "POST",
        url: "/console/login",
        headers: { ...FORM, "x-forwarded-proto": "https" },
        payload: form({ token: TEST_ADMIN_TOKEN }),
      });
      expect(String(proxied.headers["set-cookie"])).toMatch(
        /^__Host-pzn_console=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/,
      );
      expect(proxied.headers["strict-transport-security"]).toBe("max-age=31536000");
      const id = /^__Host-pzn_console=([^;]+)/.exec(String(proxied.headers["set-cookie"]))![1];
      const page = await behindProxy.inject({
        url: "/console",
        headers: { "x-forwarded-proto": "https", cookie: `__Host-pzn_console=${id}` },
      });
      expect(page.statusCode).toBe(200);
    } finally {
      await behindProxy.close();
    }
  });

  it("expires", async () => {
    const b = await signIn(p.app);
    expect((await b.get("/console/orders")).statusCode).toBe(200);
    clock.now += 8 * 3600 * 1000 + 1;
    try {
      const res = await b.get("/console/orders");
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(/^\/console\/login/);
    } finally {
      clock.now -= 8 * 3600 * 1000 + 1;
    }
  });

  it("dies when the admin token changes, and cannot be forged", async () => {
    const now = Date.now();
    const store = memorySessionStore();
    const secret = sessionSecret({ sessionSecret: "", encryptionKeys: p.config.encryptionKeys });
    const of = (adminToken: string) => sessions({ secret, adminToken, lifetimeMs: 60_000, store });
    const old = await of("token-a").create(now);
    expect(await of("token-a").verify(old.id, now)).toBeDefined();
    expect(await of("token-b").verify(old.id, now)).toBeUndefined();
    expect(await of("").verify(old.id, now)).toBeUndefined();
    // An id the store never issued opens nothing, whatever it looks like.
    const forged = `${old.id.slice(0, -1)}${old.id.endsWith("A") ? "B" : "A"}`;
    expect(await of("token-a").verify(forged, now)).toBeUndefined();
    // Another key (another SESSION_SECRET) does not find it either.
    const other = sessions({
      secret: sessionSecret({ sessionSecret: "x".repeat(32), encryptionKeys: [] }),
      adminToken: "token-a",
      lifetimeMs: 60_000,
      store,
    });
    expect(await other.verify(old.id, now)).toBeUndefined();
  });

  it("ends by signing out: the cookie, copied before, is refused after", async () => {
    const b = await signIn(p.app);
    const copied = b.cookie;
    expect((await p.app.inject({ url: "/console/orders", headers: { cookie: copied } })).statusCode).toBe(
      200,
    );
    const res = await b.post("/console/logout", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/console/login?signedOut=1");
    expect(String(res.headers["set-cookie"])).toMatch(
      /^pzn_console=; Max-Age=0; Path=\/console; Expires=Thu, 01 Jan 1970/,
    );
    const replayed = await p.app.inject({ url: "/console/orders", headers: { cookie: copied } });
    expect(replayed.statusCode).toBe(303);
    expect(replayed.headers.location).toMatch(/^\/console\/login/);
  });

  it("is kept in Redis, shared by every api process: another app on the same Redis knows it", async () => {
    const b = await signIn(p.app);
    const second = await buildApiApp({
      config: p.config,
      db: p.db,
      redis: p.connection,
      console: { now: () => clock.now },
    });
    try {
      expect(
        (await second.inject({ url: "/console/orders", headers: { cookie: b.cookie } })).statusCode,
      ).toBe(200);
      expect((await b.post("/console/logout", {})).statusCode).toBe(303);
      expect(
        (await second.inject({ url: "/console/orders", headers: { cookie: b.cookie } })).statusCode,
      ).toBe(303);
    } finally {
      await second.close();
    }
  });
});

describe("actions", () => {
  it("need the session's CSRF token and a same-site request", async () => {
    const b = await signIn(p.app);
    const noToken = await p.app.inject({
      method: "POST",
      url: "/console/logout",
      headers: { ...FORM, cookie: b.cookie },
      payload: "",
    });
    expect(noToken.statusCode).toBe(403);
    const otherToken = await p.app.inject({
      method: "POST",
      url: "/console/logout",
      headers: { ...FORM, cookie: b.cookie },
      payload: form({ _csrf: (await signIn(p.app)).csrf }),
    });
    expect(otherToken.statusCode).toBe(403);
    const crossSite = await p.app.inject({
      method: "POST",
      url: "/console/logout",
      headers: { ...FORM, cookie: b.cookie, origin: "https://evil.example" },
      payload: form({ _csrf: b.csrf }),
    });
    expect(crossSite.statusCode).toBe(403);
    expect((await b.post("/console/logout", {})).statusCode).toBe(303);
  });
});
