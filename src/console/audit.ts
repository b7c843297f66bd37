// /console/audit: the audit log, newest first, filtered by action or target (the list /v1/audit gives).
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { type AuditEntryJson, listAudit } from "../audit/list.js";
import type { ConsoleDeps } from "./deps.js";
import { type Html, html } from "./html.js";
import { BASE, page, time } from "./layout.js";
import { sendPage } from "./respond.js";

const ENTRIES_PER_PAGE = 50;

/** What a link or the filter form may carry; other parameters are ignored, as a browser's would be. */
const AuditPageQuery = Type.Object({
  action: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  /** The last id of the previous page. */
  before: Type.Optional(Type.String()),
});

export function auditRoutes(scope: FastifyInstance, { audit }: ConsoleDeps): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get("/audit", { schema: { querystring: AuditPageQuery } }, async (request, reply) => {
    const q = request.query;
    const filter = {
      action: (q.action ?? "").trim().slice(0, 100),
      target: (q.target ?? "").trim().slice(0, 300),
    };
    const before = /^[1-9][0-9]{0,17}$/.test(q.before ?? "") ? BigInt(q.before!) : undefined;
    const found = await listAudit(audit, {
      action: filter.action || undefined,
      target: filter.target || undefined,
      before,
      limit: ENTRIES_PER_PAGE,
    });
    const nextHref = found.next
      ? `${BASE}/audit?${new URLSearchParams({ ...filter, before: String(found.next) })}`
      : null;
    const body = html`<p class="hint">Every write through /v1, the console and the CLI, and every console sign-in. Each entry holds the hash of the one before: <code>npm run cli -- audit verify</code> checks the chain.</p>
${filterForm(filter)}
${found.items.length === 0 ? html`<p>No entry matches.</p>` : entriesTable(found.items)}
${nextHref ? html`<p><a href="${nextHref}">Older entries</a></p>` : ""}`;
    return sendPage(reply, page(request.consoleCtx!, { title: "Audit log", section: "audit", body }));
  });
}

function entriesTable(items: AuditEntryJson[]): Html {
  return html`<div class="scroll"><table>
<caption>Audit log, newest first</caption>
<thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Summary</th><th scope="col">Hash</th></tr></thead>
<tbody>${items.map(
    (e) =>
      html`<tr><td class="num">${e.id}</td><td>${time(e.at)}</td><td>${actorText(e.actor)}</td><td><code>${e.action}</code></td><td>${e.target}</td><td><code>${summaryText(e.summary)}</code></td><td><code title="${e.hash}">${e.hash.slice(0, 12)}</code></td></tr>`,
  )}</tbody></table></div>`;
}

function actorText(a: AuditEntryJson["actor"]): string {
  return a.name ? `${a.kind} ${a.name} (${a.id})` : `${a.kind} ${a.id}`;
}

function summaryText(summary: unknown): string {
  const text = JSON.stringify(summary);
  return text === "{}" ? "" : text;
}

function filterForm(f: { action: string; target: string }): Html {
  return html`<form method="get" action="${BASE}/audit" class="filters" role="search">
  <div><label for="action">Action</label><input id="action" name="action" value="${f.action}" placeholder="order.expect"></div>
  <div><label for="target">Target</label><input id="target" name="target" value="${f.target}"></div>
  <div><button type="submit">Filter</button></div>
</form>`;
}
