// /console/tokens: the API tokens (list, create, revoke), each the token operation of tokens/operations.ts
// for the signed-in session. A new token's value is in the page answering its creation only.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply } from "fastify";
import { Type } from "typebox";
import { SCOPES } from "../api/scopes.js";
import { isRefusal } from "../refusal.js";
import {
  type CreatedToken,
  createToken,
  listTokens,
  revokeToken,
  type TokenView,
} from "../tokens/operations.js";
import type { ConsoleDeps } from "./deps.js";
import { type Html, html } from "./html.js";
import { actionButton, BASE, csrfField, type PageContext, page, statusBadge, time } from "./layout.js";
import { noticeOf, sendPage, withNotice } from "./respond.js";
import { IdParams, NoticeQuery } from "./webhook-schemas.js";

const Text = Type.String({ maxLength: 10_000 });
const TokenForm = Type.Object({
  _csrf: Type.Optional(Text),
  name: Type.Optional(Text),
  scopes: Type.Optional(Type.Array(Text, { maxItems: 10 })),
});
const RevokeForm = Type.Object({ _csrf: Type.Optional(Text) });

const SCOPE_HINTS: Record<(typeof SCOPES)[number], string> = {
  admin: "everything, as ADMIN_TOKEN",
  read: "every GET under /v1, payer data masked",
  "personal-data": "with read: payer data unmasked",
  "orders:expect": "register expected orders (the merchant's ERP)",
};

export function tokenRoutes(scope: FastifyInstance, { tokens }: ConsoleDeps): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  const show = async (
    ctx: PageContext,
    reply: FastifyReply,
    state: {
      notice?: string;
      error?: string;
      created?: CreatedToken;
      form?: { name: string; scopes: string[] };
    },
  ) => {
    const items = await listTokens(tokens);
    const body = html`${state.created ? createdNotice(state.created) : ""}
${tokenTable(ctx, items)}
${createForm(ctx, state.form ?? { name: "", scopes: [] })}`;
    return sendPage(
      reply,
      page(ctx, { title: "API tokens", section: "tokens", notice: state.notice, error: state.error, body }),
    );
  };

  app.get("/tokens", { schema: { querystring: NoticeQuery } }, async (request, reply) =>
    show(request.consoleCtx!, reply, noticeOf(request.query)),
  );

  app.post("/tokens", { schema: { body: TokenForm } }, async (request, reply) => {
    const form = { name: (request.body.name ?? "").trim(), scopes: request.body.scopes ?? [] };
    const created = await createToken(tokens, request.consoleCtx!.actor, form);
    if (isRefusal(created))
      return show(request.consoleCtx!, reply.code(400), { error: created.message, form });
    return show(request.consoleCtx!, reply.code(201), { created });
  });

  app.post(
    "/tokens/:id/revoke",
    { schema: { params: IdParams, body: RevokeForm } },
    async (request, reply) => {
      const revoked = await revokeToken(tokens, request.consoleCtx!.actor, request.params);
      if (isRefusal(revoked))
        return show(request.consoleCtx!, reply.code(revoked.code), { error: revoked.message });
      return reply.redirect(withNotice(`${BASE}/tokens`, "token-revoked"), 303);
    },
  );
}

function createdNotice(t: CreatedToken): Html {
  return html`<section class="card" aria-labelledby="new-token-h">
<h2 id="new-token-h">Token “${t.name}” created</h2>
<p><code class="secret" id="token">${t.token}</code></p>
<p><strong>Copy it now: it is not shown again.</strong> Only its hash is kept. Callers send it as <code>Authorization: Bearer …</code>.</p>
</section>`;
}

function tokenTable(ctx: PageContext, items: TokenView[]): Html {
  if (items.length === 0) return html`<p>No API token yet: only ADMIN_TOKEN opens /v1.</p>`;
  return html`<div class="scroll"><table>
<caption>API tokens, newest first</caption>
<thead><tr><th scope="col">Name</th><th scope="col">ID</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"></th></tr></thead>
<tbody>${items.map(
    (t) =>
      html`<tr><td>${t.name}</td><td><code>${t.id}</code></td><td>${t.scopes.join(", ")}</td><td>${time(t.createdAt)}</td><td>${time(t.lastUsedAt)}</td>
<td>${t.revokedAt ? html`${statusBadge("revoked")} ${time(t.revokedAt)}` : statusBadge("active")}</td>
<td>${t.revokedAt ? "" : actionButton(ctx, `${BASE}/tokens/${encodeURIComponent(t.id)}/revoke`, `Revoke ${t.name}`)}</td></tr>`,
  )}</tbody></table></div>`;
}

function createForm(ctx: PageContext, f: { name: string; scopes: string[] }): Html {
  return html`<section class="card" aria-labelledby="create-h">
<h2 id="create-h">Create a token</h2>
<form method="post" action="${BASE}/tokens" class="stack">${csrfField(ctx)}
<div><label for="name">Name</label><input id="name" name="name" type="text" required maxlength="100" value="${f.name}" placeholder="erp"></div>
<fieldset><legend>Scopes</legend>
${SCOPES.map(
  (s, i) =>
    html`<div><input type="checkbox" id="scope-${i}" name="scopes" value="${s}"${f.scopes.includes(s) ? html` checked` : ""}> <label for="scope-${i}"><code>${s}</code>: ${SCOPE_HINTS[s]}</label></div>`,
)}
</fieldset>
<button type="submit">Create token</button>
</form>
</section>`;
}
