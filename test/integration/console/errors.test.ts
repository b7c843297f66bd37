// The console's own error answers, over real HTTP: a console page that fails answers with an HTML
// page (its status kept, nothing internal shown, the failure logged whole), an unknown console path with
// the HTML 404, a query or sign-in form its schema refuses with an HTML 400; /v1 keeps its JSON answer.

import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { memorySessionStore } from "../../../src/console/session.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { loggerOptions } from "../../../src/ops/logger.js";
import { queryDatabase } from "../../support/admin.js";
import { TEST_ADMIN_TOKEN, testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";

interface Served {
  app: FastifyInstance;
  origin: string;
  logs: Array<{ msg?: string; err?: { message?: string; stack?: string } }>;
  /** A session cookie, signed in through the sign-in form. */
  cookie: string;
}

/** `cookie`: a session signed in elsewhere (signing in records it in the audit log, in Postgres). */
// One session store for every app of this file, as Redis is for every api process: a session begun on
// one app opens the others' pages.
const sessionsOfEveryApp = memorySessionStore();

async function serve(db: Db, cookie?: string): Promise<Served> {
  const logs: Served["logs"] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const app = await buildApiApp({
    config: testConfig(),
    db,
    logger: pino(loggerOptions("error"), sink),
    console: { sessionStore: sessionsOfEveryApp },
  });
  const origin = await app.listen({ host: "127.0.0.1", port: 0 });
  if (cookie !== undefined) return { app, origin, logs, cookie };
  const signedIn = await fetch(`${origin}/console/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: TEST_ADMIN_TOKEN, next: "/console" }),
    redirect: "manual",
  });
  expect(signedIn.status).toBe(303);
  const session = /^(pzn_console=[^;]+)/.exec(signedIn.headers.get("set-cookie") ?? "")?.[1];
  expect(session).toBeDefined();
  return { app, origin, logs, cookie: session! };
}

const get = (s: Served, path: string, headers: Record<string, string> = { cookie: s.cookie }) =>
  fetch(`${s.origin}${path}`, { headers, redirect: "manual" });
const v1 = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** What no error page may show: a stack frame, Prisma's or Postgres' words. */
function expectNoInternals(body: string) {
  expect(body).not.toMatch(/\n\s+at |node_modules|prisma|P20\d\d|does not exist|ECONNREFUSED|orders_gone/i);
}

let database: TestDatabase;
let db: Db;
let s: Served;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 4);
  s = await serve(db);
});
afterAll(async () => {
  await s?.app.close();
  await db?.$disconnect();
  await database?.drop();
});

describe("a console page that fails", () => {
  it("answers 500 with the console's HTML page, logged whole, while /v1 answers its JSON", async () => {
    // A statement that fails (not Postgres out of reach): the table it reads is gone.
    await queryDatabase(database.url, "ALTER TABLE orders RENAME TO orders_gone");
    try {
      s.logs.length = 0;
      const res = await get(s, "/console/orders?q=A");
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const body = await res.text();
      expect(body).toMatch(/^<!doctype html>/);
      expect(body).toContain("<h1>Internal Server Error</h1>");
      expect(body).toContain("Something went wrong on the service's side");
      // In the console's frame: the session is still good, so the navigation is there.
      expect(body).toContain('href="/console/orders"');
      expectNoInternals(body);
      const logged = s.logs.find((l) => l.msg === "request failed");
      expect(logged?.err?.stack).toMatch(/orders/);

      const api = await get(s, "/v1/orders", v1);
      expect(api.status).toBe(500);
      expect(api.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await api.json()).toEqual({
        statusCode: 500,
        error: "Internal Server Error",
        message: "internal error",
      });
    } finally {
      await queryDatabase(database.url, "ALTER TABLE orders_gone RENAME TO orders");
    }
    expect((await get(s, "/console/orders?q=A")).status).toBe(200);
  });

  it("answers 503 with the console's HTML page while Postgres is out of reach", async () => {
    const dead = createDb("postgresql://postgres@127.0.0.1:1/none", 1);
    const down = await serve(dead, s.cookie);
    try {
      // No sign-in that the audit log cannot record: no session is given.
      const signIn = await fetch(`${down.origin}/console/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TEST_ADMIN_TOKEN, next: "/console" }),
        redirect: "manual",
      });
      expect(signIn.status).toBe(503);
      expect(signIn.headers.get("set-cookie")).toBeNull();

      const res = await get(down, "/console/orders/ANY-1");
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const body = await res.text();
      expect(body).toContain("<h1>Service Unavailable</h1>");
      expect(body).toContain("The database is out of reach. Nothing was changed. Try again in a moment.");
      expectNoInternals(body);
      expect(down.logs.some((l) => l.msg === "request failed: database unavailable")).toBe(true);

      const api = await get(down, "/v1/orders/ANY-1", v1);
      expect(api.status).toBe(503);
      expect(await api.json()).toEqual({
        statusCode: 503,
        error: "Service Unavailable",
        message: "database unavailable",
      });
    } finally {
      await down.app.close();
      await dead.$disconnect();
    }
  });
});

describe("the console's other errors", () => {
  it("answers an unknown console path with its HTML 404, /v1 with its JSON 404", async () => {
    const res = await get(s, "/console/no/such/page");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const body = await res.text();
    expect(body).toContain("<h1>Not found</h1>");
    expect(body).toContain("No such console page.");

    const api = await get(s, "/v1/no/such/route", v1);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ statusCode: 404, error: "Not Found", message: "no such route" });
  });

  it("refuses a query its schema does not take with an HTML 400 naming it", async () => {
    const res = await get(s, "/console/orders?q=A&q=B");
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const body = await res.text();
    expect(body).toContain("<h1>Bad Request</h1>");
    expect(body).toContain("querystring/q");
  });

  it("refuses a sign-in body its schema does not take, with an HTML 400 and no session", async () => {
    const res = await fetch(`${s.origin}/console/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: 12345, next: "/console" }),
      redirect: "manual",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("set-cookie")).toBeNull();
    const body = await res.text();
    expect(body).toContain("<h1>Bad Request</h1>");
    expect(body).toContain("body/token");
    // Not signed in: the bare page, with the way back.
    expect(body).toContain('<a href="/console">Back to the console</a>');
  });
});
