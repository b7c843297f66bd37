// /console/audit and the sign-ins: every console sign-in is recorded with the session's id (never its
// cookie or the token), a refused one without what was typed; the page lists the log for a session.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEntry } from "../../../src/audit/store.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import type { Pipeline } from "../../support/pipeline.js";
import { FORM, form, signIn, startConsolePipeline } from "./support.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startConsolePipeline();
});
afterAll(() => p.close());

describe("the audit log in the console", () => {
  it("records sign-ins, refused ones, and lists them on /console/audit", async () => {
    const wrong = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: FORM,
      payload: form({ token: "guess-0123456789", next: "/console" }),
    });
    expect(wrong.statusCode).toBe(401);
    const browser = await signIn(p.app);
    const cookieValue = browser.cookie.split("=")[1]!;

    const entries = await p.db.auditEntry.findMany({ orderBy: { id: "asc" } });
    expect(entries.map((e) => [e.action, e.actorKind, e.target])).toEqual([
      ["console.sign-in-refused", "console", "console"],
      ["console.sign-in", "console", "console"],
    ]);
    const session = entries[1]!.actorId;
    expect(session).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const stored = JSON.stringify(entries.map((e) => ({ ...e, id: String(e.id) })));
    for (const secret of [TEST_ADMIN_TOKEN, "guess-0123456789", cookieValue, ...cookieValue.split(".")])
      expect(stored).not.toContain(secret);

    const page = await browser.get("/console/audit");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("<title>Audit log · payzero-notify console</title>");
    expect(page.body).toMatch(/<a href="\/console\/audit" aria-current="page">Audit log<\/a>/);
    expect(page.body).toContain(`console ${session}`);
    expect(page.body).toContain("console.sign-in-refused");

    const filtered = await browser.get("/console/audit?action=console.sign-in-refused");
    expect(filtered.body).not.toContain(`console ${session}`);
    expect(filtered.body).toContain("console.sign-in-refused");
  });

  it("pages older entries", async () => {
    const browser = await signIn(p.app);
    for (let i = 0; i < 55; i++)
      await appendEntry(p.db, {
        actor: { kind: "cli", user: "ops" },
        action: "order.expect",
        target: `CP-${i}`,
      });
    const first = await browser.get("/console/audit");
    const next = /<a href="([^"]+)">Older entries<\/a>/.exec(first.body)?.[1];
    expect(next).toBeDefined();
    const second = await browser.get(next!.replaceAll("&amp;", "&"));
    expect(second.statusCode).toBe(200);
    expect(second.body).not.toContain("Older entries");
    expect(second.body).toContain("console.sign-in-refused");
  });

  it("needs a session", async () => {
    const res = await p.app.inject({ url: "/console/audit" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/console/login?next=%2Fconsole%2Faudit");
  });
});
