// /console/deliveries: failed and pending deliveries by endpoint, one delivery's page, and the retries;
// each page the delivery operations (webhooks/delivery/operations.ts) for the signed-in session.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply } from "fastify";
import { isRefusal } from "../refusal.js";
import {
  countOf,
  type DeliveryView,
  deliveryCounts,
  getDelivery,
  listDeliveries,
  retryDelivery,
  retryFailed,
} from "../webhooks/delivery/operations.js";
import { listEndpoints } from "../webhooks/endpoints/operations.js";
import { safeNext } from "./auth.js";
import type { ConsoleDeps } from "./deps.js";
import { type Html, html } from "./html.js";
import {
  actionButton,
  BASE,
  backField,
  endpointLink,
  orderLink,
  type PageContext,
  page,
  statusBadge,
  time,
} from "./layout.js";
import { noticeOf, sendPage, withNotice } from "./respond.js";
import { attemptsTable } from "./timeline.js";
import { BackForm, DeliveriesQuery, IdParams, NoticeQuery } from "./webhook-schemas.js";

const LIST_LIMIT = 200;

export function deliveryRoutes(scope: FastifyInstance, { webhooks }: ConsoleDeps): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.get("/deliveries", { schema: { querystring: DeliveriesQuery } }, async (request, reply) => {
    const q = request.query;
    const status = q.status === "pending" ? "pending" : "failed";
    const webhookId = q.webhookId || undefined;
    const [{ items: rows }, counts, { items: endpoints }] = await Promise.all([
      listDeliveries(webhooks, { status, webhookId, limit: LIST_LIMIT }),
      deliveryCounts(webhooks),
      listEndpoints(webhooks),
    ]);
    const count = (endpointId: string, s: "pending" | "failed") => countOf(counts, endpointId, s);
    const ctx = request.consoleCtx!;
    const self = `${BASE}/deliveries?${new URLSearchParams({ status, ...(webhookId && { webhookId }) })}`;
    const shown = endpoints.filter((e) => (webhookId ? e.id === webhookId : count(e.id, status) > 0));
    const tab = (s: string, label: string) =>
      html`<li><a href="${BASE}/deliveries?${String(new URLSearchParams({ status: s, ...(webhookId && { webhookId }) }))}"${s === status ? html` aria-current="page"` : ""}>${label}</a></li>`;
    const body = html`<nav aria-label="Delivery status" class="tabs"><ul>${tab("failed", "Failed")}${tab("pending", "Pending")}</ul></nav>
<form method="get" action="${BASE}/deliveries" class="filters">
  <input type="hidden" name="status" value="${status}">
  <div><label for="webhookId">Endpoint</label><select id="webhookId" name="webhookId"><option value="">all endpoints</option>${endpoints.map(
    (e) =>
      html`<option value="${e.id}"${e.id === webhookId ? html` selected` : ""}>${e.description || e.url}</option>`,
  )}</select></div>
  <div><button type="submit">Show</button></div>
</form>
${shown.length === 0 ? html`<p>No ${status} delivery${webhookId ? " for this endpoint" : ""}.</p>` : ""}
${shown.map((e) => {
  const mine = rows
    .filter((r) => r.delivery.webhookId === e.id)
    .map((r) => ({ ...r.delivery, mchtOrderNo: r.mchtOrderNo }));
  const failed = count(e.id, "failed");
  return html`<section class="card" aria-labelledby="ep-${e.id}">
<h2 id="ep-${e.id}">${endpointLink(e.id, e.description || e.url)} ${statusBadge(e.enabled ? "enabled" : "disabled")}</h2>
<p><span class="muted">${e.url}</span> · ${failed} failed · ${count(e.id, "pending")} pending</p>
${status === "failed" && failed > 0 && e.enabled ? actionButton(ctx, `${BASE}/endpoints/${encodeURIComponent(e.id)}/retry-failed`, `Retry all ${failed} failed deliveries of this endpoint`, backField(self)) : ""}
${status === "failed" && !e.enabled ? html`<p class="hint">Disabled: enable it on ${endpointLink(e.id, "its page")} before retrying.</p>` : ""}
${mine.length === 0 ? "" : deliveriesTable(ctx, mine, self, e.enabled)}
</section>`;
})}
${rows.length === LIST_LIMIT ? html`<p class="hint">The newest ${LIST_LIMIT} are listed.</p>` : ""}`;
    const { notice } = noticeOf(q);
    return sendPage(reply, page(ctx, { title: "Deliveries", section: "deliveries", notice, body }));
  });

  app.get(
    "/deliveries/:id",
    { schema: { params: IdParams, querystring: NoticeQuery } },
    async (request, reply) => {
      const ctx = request.consoleCtx!;
      const found = await getDelivery(webhooks, request.params.id);
      if (isRefusal(found))
        return sendPage(
          reply.code(404),
          page(ctx, { title: "Delivery not found", section: "deliveries", body: "" }),
        );
      const { delivery: d, mchtOrderNo, endpoint } = found;
      const self = `${BASE}/deliveries/${d.id}`;
      const body = html`<dl class="facts">
  <dt>Status</dt><dd>${statusBadge(d.status)}</dd>
  <dt>Order</dt><dd>${mchtOrderNo ? orderLink(mchtOrderNo) : "–"}</dd>
  <dt>Endpoint</dt><dd>${endpointLink(d.webhookId, endpoint.description || endpoint.url)}</dd>
  <dt>Type</dt><dd>${d.msgType}</dd>
  <dt>webhook-id</dt><dd><code>${d.messageId}</code></dd>
  <dt>Created</dt><dd>${time(d.createdAt)}</dd>
  ${d.nextAttemptAt ? html`<dt>Next attempt</dt><dd>${time(d.nextAttemptAt)}</dd>` : ""}
  ${d.lastError ? html`<dt>Last error</dt><dd>${d.lastError}</dd>` : ""}
</dl>
${d.status === "failed" && endpoint.enabled ? actionButton(ctx, `${self}/retry`, `Retry delivery ${d.id}`, backField(self)) : ""}
<h2>Attempts</h2>
${attemptsTable(d)}`;
      const { notice } = noticeOf(request.query);
      return sendPage(reply, page(ctx, { title: `Delivery ${d.id}`, section: "deliveries", notice, body }));
    },
  );

  app.post(
    "/deliveries/:id/retry",
    { schema: { params: IdParams, body: BackForm } },
    async (request, reply) => {
      const back = safeNext(request.body.back);
      const result = await retryDelivery(webhooks, request.consoleCtx!.actor, request.params.id);
      if (isRefusal(result)) return refused(reply, request.consoleCtx!, result.message, back);
      return reply.redirect(withNotice(back, "retried"), 303);
    },
  );

  app.post(
    "/endpoints/:id/retry-failed",
    { schema: { params: IdParams, body: BackForm } },
    async (request, reply) => {
      const back = safeNext(request.body.back);
      const result = await retryFailed(webhooks, request.consoleCtx!.actor, request.params.id);
      if (isRefusal(result)) return refused(reply, request.consoleCtx!, result.message, back);
      return reply.redirect(withNotice(back, "retried-all"), 303);
    },
  );
}

function deliveriesTable(
  ctx: PageContext,
  rows: Array<DeliveryView & { mchtOrderNo: string | null }>,
  back: string,
  enabled: boolean,
): Html {
  return html`<div class="scroll"><table>
<thead><tr><th scope="col">Delivery</th><th scope="col">Order</th><th scope="col">Type</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Updated</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
<tbody>${rows.map(
    (
      d,
    ) => html`<tr><td><a href="${BASE}/deliveries/${d.id}">${d.id}</a></td><td>${d.mchtOrderNo ? orderLink(d.mchtOrderNo) : "–"}</td><td>${d.msgType}</td><td class="num">${d.attemptCount}</td><td>${d.lastError ?? "–"}</td><td>${time(d.updatedAt)}</td>
<td>${d.status === "failed" && enabled ? actionButton(ctx, `${BASE}/deliveries/${d.id}/retry`, `Retry delivery ${d.id}`, backField(back)) : d.nextAttemptAt ? html`next ${time(d.nextAttemptAt)}` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

function refused(reply: FastifyReply, ctx: PageContext, message: string, back: string) {
  const body = html`<p><a href="${back}">Back</a></p>`;
  return sendPage(
    reply.code(409),
    page(ctx, { title: "Not retried", error: `Not retried: ${message}.`, body }),
  );
}
