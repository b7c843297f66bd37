// Every write of an endpoint, a delivery or a backfill, through /v1 or the console, is recorded once by
// the operation that made it, in the log line and in the audit log: who (the token, or the console
// session), what, on what, and never a secret or a header value. A refused write records nothing.
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { auditDeps } from "../../../src/audit/deps.js";
import type { WriteRecord } from "../../../src/audit/record.js";
import { verifyAudit } from "../../../src/audit/verify.js";
import { loggerOptions } from "../../../src/ops/logger.js";
import { auth, createHarness, type Harness } from "../../support/harness.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { signIn } from "../console/support.js";

/** A record as the log sink writes it: the actor described in words. */
type Recorded = Omit<WriteRecord, "actor"> & { actor: string };

let h: Harness;
let rx: Receiver;
let app: FastifyInstance;
const lines: string[] = [];
const records = () =>
  lines.map((l) => JSON.parse(l) as { audit?: Recorded }).flatMap((l) => (l.audit ? [l.audit] : []));

beforeAll(async () => {
  h = await createHarness();
  rx = await startReceiver();
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  app = await buildApiApp({ config: h.config, db: h.db, logger: pino(loggerOptions("info"), sink) });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await rx?.close();
  await h?.close();
});

const v1 = (method: "POST" | "PATCH" | "DELETE", url: string, payload?: Record<string, unknown>) =>
  app.inject({ method, url: `/v1${url}`, headers: auth, ...(payload && { payload }) });

describe("write records", () => {
  it("name the token or the console session, the action and its target, once per write, without secrets", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const headerValue = "Bearer header-value-that-must-not-be-logged";
    const created = await v1("POST", "/webhooks", {
      url: rx.url("/audited"),
      secret,
      headers: { authorization: headerValue },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect((await v1("PATCH", `/webhooks/${id}`, { description: "ERP" })).statusCode).toBe(200);
    expect((await v1("POST", `/webhooks/${id}/retry-failed`)).statusCode).toBe(202);
    const since = "2026-11-01T00:00:00Z";
    expect((await v1("POST", `/webhooks/${id}/backfill`, { since })).statusCode).toBe(202);
    // Refused: nothing is written, so nothing is recorded.
    expect((await v1("POST", "/webhooks", { url: "ftp://nowhere" })).statusCode).toBe(400);
    expect((await v1("PATCH", "/webhooks/ep_none", { description: "x" })).statusCode).toBe(404);
    expect((await v1("POST", "/deliveries/999999/retry")).statusCode).toBe(404);

    const browser = await signIn(app);
    const rotated = await browser.post(`/console/endpoints/${id}/rotate`, { overlapHours: "1" });
    expect(rotated.statusCode).toBe(200);
    expect((await browser.post(`/console/endpoints/${id}/test`, {})).statusCode).toBe(200);
    expect((await v1("DELETE", `/webhooks/${id}`)).statusCode).toBe(204);

    const token = "token ADMIN_TOKEN (admin)";
    const all = records();
    expect(
      all.map((r) => [r.actor.startsWith("console session ") ? "console" : r.actor, r.action, r.target]),
    ).toEqual([
      [token, "endpoint.create", id],
      [token, "endpoint.change", id],
      [token, "delivery.retry-failed", id],
      [token, "backfill.start", id],
      ["console", "console.sign-in", "console"],
      ["console", "endpoint.rotate", id],
      ["console", "endpoint.test", id],
      [token, "endpoint.remove", id],
    ]);
    expect(all[0]!.summary).toEqual({ fields: ["url", "secret", "headers"] });
    expect(all[1]!.summary).toEqual({ fields: ["description"], rotated: false });
    // The session is named, never by its cookie.
    const session = all[4]!.actor.slice("console session ".length);
    expect(session).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(all[5]!.actor).toBe(all[4]!.actor);
    expect(browser.cookie).not.toContain(session);
    // The same writes, in the same order, are in the audit log, which verifies.
    const entries = await h.db.auditEntry.findMany({ orderBy: { id: "asc" } });
    expect(entries.map((e) => [e.actorKind, e.actorId, e.action, e.target, e.summary])).toEqual(
      all.map((r) => [
        r.actor.startsWith("console session ") ? "console" : "token",
        r.actor.startsWith("console session ") ? session : "admin",
        r.action,
        r.target,
        r.summary ?? {},
      ]),
    );
    expect(await verifyAudit(auditDeps(h.db, async () => {}))).toMatchObject({ ok: true, entries: "8" });
    const stored = JSON.stringify(entries.map((e) => e.summary));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(headerValue);
    for (const line of lines.filter((l) => l.includes('"audit"'))) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(headerValue);
    }
  });
});
