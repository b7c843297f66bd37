// The console's gate: no session, nothing but the sign-in page; cookies as the issue asks; CSRF on every action.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionKeys } from "../../../src/console/session.js";
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
  it("is HttpOnly, SameSite=Strict, for /console, and Secure only behind an HTTPS proxy", async () => {
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

    const proxied = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: { ...FORM, "x-forwarded-proto": "https" },
      payload: form({ token: TEST_ADMIN_TOKEN }),
    });
    expect(String(proxied.headers["set-cookie"])).toMatch(/; Secure/);
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

  it("dies when the admin token changes, and cannot be forged", () => {
    const now = Date.now();
    const old = sessionKeys("token-a", 60_000).create(now).value;
    expect(sessionKeys("token-a", 60_000).verify(old, now)).toBeDefined();
    expect(sessionKeys("token-b", 60_000).verify(old, now)).toBeUndefined();
    const [expires, nonce, mac] = old.split(".");
    const later = `${Number(expires) + 3600_000}.${nonce}.${mac}`;
    expect(sessionKeys("token-a", 60_000).verify(later, now)).toBeUndefined();
    expect(sessionKeys("", 60_000).verify(old, now)).toBeUndefined();
  });

  it("is cleared by signing out", async () => {
    const b = await signIn(p.app);
    const res = await b.post("/console/logout", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/console/login?signedOut=1");
    expect(String(res.headers["set-cookie"])).toMatch(
      /^pzn_console=; Max-Age=0; Path=\/console; Expires=Thu, 01 Jan 1970/,
    );
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
