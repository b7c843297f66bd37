// /console/deliveries: failed and pending deliveries by endpoint, one delivery's page, and the retries.

import type { FastifyInstance, FastifyReply } from "fastify";
import { deliveryInclude, deliveryView } from "../webhooks/delivery/view.js";
import { maskUrl } from "../webhooks/endpoints/url-mask.js";
import { type FormBody, formText, safeNext } from "./auth.js";
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
import type { Retries } from "./retry.js";
import { attemptsTable } from "./timeline.js";

const LIST_LIMIT = 200;
const include = {
  ...deliveryInclude,
  notification: { select: { msgType: true, contentKey: true, mchtOrderNo: true } },
} as const;

type Query = Record<string, string | undefined>;

export function deliveryRoutes(app: FastifyInstance, { db }: ConsoleDeps, retries: Retries): void {
  app.get("/deliveries", async (request, reply) => {
    const q = request.query as Query;
    const status = q.status === "pending" ? "pending" : "failed";
    const webhookId = q.webhookId || undefined;
    const [rows, counts, endpoints] = await Promise.all([
      db.delivery.findMany({
        where: { status, ...(webhookId && { endpointId: webhookId }) },
        orderBy: { id: "desc" },
        take: LIST_LIMIT,
        include,
      }),
      db.delivery.groupBy({
        by: ["endpointId", "status"],
        where: { status: { in: ["failed", "pending"] } },
        _count: { _all: true },
      }),
      db.webhookEndpoint.findMany({ orderBy: { id: "asc" } }),
    ]);
    const count = (endpointId: string, s: string) =>
      counts.find((c) => c.endpointId === endpointId && c.status === s)?._count._all ?? 0;
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
      html`<option value="${e.id}"${e.id === webhookId ? html` selected` : ""}>${e.description || maskUrl(e.url)}</option>`,
  )}</select></div>
  <div><button type="submit">Show</button></div>
</form>
${shown.length === 0 ? html`<p>No ${status} delivery${webhookId ? " for this endpoint" : ""}.</p>` : ""}
${shown.map((e) => {
  const mine = rows
    .filter((r) => r.endpointId === e.id)
    .map((r) => ({ ...deliveryView(r), mchtOrderNo: r.notification.mchtOrderNo }));
  const failed = count(e.id, "failed");
  return html`<section class="card" aria-labelledby="ep-${e.id}">
<h2 id="ep-${e.id}">${endpointLink(e.id, e.description || maskUrl(e.url))} ${statusBadge(e.enabled ? "enabled" : "disabled")}</h2>
<p><span class="muted">${maskUrl(e.url)}</span> · ${failed} failed · ${count(e.id, "pending")} pending</p>
${status === "failed" && failed > 0 && e.enabled ? actionButton(ctx, `${BASE}/endpoints/${encodeURIComponent(e.id)}/retry-failed`, `Retry all ${failed} failed deliveries of this endpoint`, backField(self)) : ""}
${status === "failed" && !e.enabled ? html`<p class="hint">Disabled: enable it on ${endpointLink(e.id, "its page")} before retrying.</p>` : ""}
${mine.length === 0 ? "" : deliveriesTable(ctx, mine, self, e.enabled)}
</section>`;
})}
${rows.length === LIST_LIMIT ? html`<p class="hint">The newest ${LIST_LIMIT} are listed.</p>` : ""}`;
    const { notice } = noticeOf(q);
    return sendPage(reply, page(ctx, { title: "Deliveries", section: "deliveries", notice, body }));
  });

  app.get("/deliveries/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    const ctx = request.consoleCtx!;
    const row = /^[1-9][0-9]{0,17}$/.test(id)
      ? await db.delivery.findUnique({
          where: { id: BigInt(id) },
          include: { ...include, endpoint: { select: { enabled: true, url: true, description: true } } },
        })
      : null;
    if (!row)
      return sendPage(
        reply.code(404),
        page(ctx, { title: "Delivery not found", section: "deliveries", body: "" }),
      );
    const d = deliveryView(row);
    const self = `${BASE}/deliveries/${d.id}`;
    const body = html`<dl class="facts">
  <dt>Status</dt><dd>${statusBadge(d.status)}</dd>
  <dt>Order</dt><dd>${row.notification.mchtOrderNo ? orderLink(row.notification.mchtOrderNo) : "–"}</dd>
  <dt>Endpoint</dt><dd>${endpointLink(d.webhookId, row.endpoint.description || maskUrl(row.endpoint.url))}</dd>
  <dt>Type</dt><dd>${d.msgType}</dd>
  <dt>webhook-id</dt><dd><code>${d.messageId}</code></dd>
  <dt>Created</dt><dd>${time(d.createdAt)}</dd>
  ${d.nextAttemptAt ? html`<dt>Next attempt</dt><dd>${time(d.nextAttemptAt)}</dd>` : ""}
  ${d.lastError ? html`<dt>Last error</dt><dd>${d.lastError}</dd>` : ""}
</dl>
${d.status === "failed" && row.endpoint.enabled ? actionButton(ctx, `${self}/retry`, `Retry delivery ${d.id}`, backField(self)) : ""}
<h2>Attempts</h2>
${attemptsTable(d)}`;
    const { notice } = noticeOf(request.query as Query);
    return sendPage(reply, page(ctx, { title: `Delivery ${d.id}`, section: "deliveries", notice, body }));
  });

  app.post("/deliveries/:id/retry", async (request, reply) => {
    const { id } = request.params as { id: string };
    const back = safeNext(formText(request.body as FormBody, "back"));
    const result = /^[1-9][0-9]{0,17}$/.test(id)
      ? await retries.retryDelivery(BigInt(id))
      : { ok: false as const, message: "no such delivery" };
    if (!result.ok) return refused(reply, request.consoleCtx!, result.message, back);
    return reply.redirect(withNotice(back, "retried"), 303);
  });

  app.post("/endpoints/:id/retry-failed", async (request, reply) => {
    const { id } = request.params as { id: string };
    const back = safeNext(formText(request.body as FormBody, "back"));
    const result = await retries.retryFailedOf(id);
    if (!result.ok) return refused(reply, request.consoleCtx!, result.message, back);
    return reply.redirect(withNotice(back, "retried-all"), 303);
  });
}

function deliveriesTable(
  ctx: PageContext,
  rows: Array<ReturnType<typeof deliveryView> & { mchtOrderNo: string | null }>,
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
