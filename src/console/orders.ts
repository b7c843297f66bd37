// /console/orders (search by prefix, filter by status) and /console/orders/<mchtOrderNo> (state and timeline).
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply } from "fastify";
import { Type } from "typebox";
import {
  HISTORY_LIMIT,
  type HistoryNotification,
  type MaskedOrder,
  type OrderHistory,
  orderHistory,
} from "../orders/history.js";
import { listOrders } from "../orders/orders.js";
import { queryOrderNow } from "../orders/query.js";
import { announceRetry, pendingRetries, RETRY_KINDS, retryConflict } from "../orders/retries.js";
import { DECLARE_STATUSES, PAY_STATUSES } from "../payzero/statuses.js";
import { isRefusal } from "../refusal.js";
import type { ConsoleDeps } from "./deps.js";
import { type Html, html } from "./html.js";
import { actionButton, BASE, orderLink, type PageContext, page, statusBadge, time } from "./layout.js";
import { noticeOf, sendPage, withNotice } from "./respond.js";
import { buildTimeline, renderTimeline } from "./timeline.js";
import { EmptyForm, RetryForm } from "./webhook-schemas.js";

const ORDERS_PER_PAGE = 50;

/** What a link or the search form may carry; other parameters are ignored, as a browser's would be. */
const OrdersQuery = Type.Object({
  q: Type.Optional(Type.String()),
  payStatus: Type.Optional(Type.String()),
  declareStatus: Type.Optional(Type.String()),
  /** The last mchtOrderNo of the previous page. */
  after: Type.Optional(Type.String()),
});
const OrderParams = Type.Object({ mchtOrderNo: Type.String() });
const NoticeQuery = Type.Object({ notice: Type.Optional(Type.String()) });

export function orderRoutes(scope: FastifyInstance, { orders }: ConsoleDeps): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get("/orders", { schema: { querystring: OrdersQuery } }, async (request, reply) => {
    const q = request.query;
    const filter = {
      prefix: (q.q ?? "").trim().slice(0, 200),
      payStatus: (q.payStatus ?? "").slice(0, 64),
      declareStatus: (q.declareStatus ?? "").slice(0, 64),
      after: (q.after ?? "").slice(0, 200),
    };
    const found = await listOrders(orders, {
      prefix: filter.prefix,
      payStatus: filter.payStatus,
      declareStatus: filter.declareStatus,
      after: filter.after || undefined,
      limit: ORDERS_PER_PAGE,
      personalData: false,
    });
    const items = found.items;
    const nextHref = found.next
      ? `${BASE}/orders?${new URLSearchParams({ q: filter.prefix, payStatus: filter.payStatus, declareStatus: filter.declareStatus, after: found.next })}`
      : null;
    const body = html`${searchForm(filter)}
${
  items.length === 0
    ? html`<p>No order matches.</p>`
    : html`<div class="scroll"><table>
<caption>Orders${filter.prefix ? html` starting with <code>${filter.prefix}</code>` : ""}, by order number</caption>
<thead><tr><th scope="col">mchtOrderNo</th><th scope="col">Pay status</th><th scope="col">Declare status</th><th scope="col">Amount</th><th scope="col">Updated</th></tr></thead>
<tbody>${items.map(
        (o) =>
          html`<tr><td>${orderLink(o.mchtOrderNo)}</td><td>${statusBadge(o.payStatus)}</td><td>${statusBadge(o.declareStatus)}</td><td class="num">${amount(o.paymentAmount)}</td><td>${time(o.updatedAt)}</td></tr>`,
      )}</tbody></table></div>`
}
${nextHref ? html`<p><a href="${nextHref}">Next page</a></p>` : ""}`;
    return sendPage(reply, page(request.consoleCtx!, { title: "Orders", section: "orders", body }));
  });

  app.get(
    "/orders/:mchtOrderNo",
    { schema: { params: OrderParams, querystring: NoticeQuery } },
    async (request, reply) => {
      const { mchtOrderNo } = request.params;
      const history = await orderHistory(orders, { mchtOrderNo });
      const ctx = request.consoleCtx!;
      if (isRefusal(history)) {
        const body = html`<p>No order <code>${mchtOrderNo}</code> and no notification about it.</p>${searchForm({ prefix: mchtOrderNo, payStatus: "", declareStatus: "" })}`;
        return sendPage(reply.code(404), page(ctx, { title: "Order not found", section: "orders", body }));
      }
      const self = `${BASE}/orders/${encodeURIComponent(mchtOrderNo)}`;
      const pending = await pendingRetries(orders, mchtOrderNo);
      const body = html`${history.order ? stateCard(history.order) : html`<p>No state: no notification about it could be applied.</p>`}
${actions(ctx, self, history.order, pending, orders.payzero !== null)}
${deliverySummary(history.notifications)}
${refundsTable(history.refunds)}
<h2>Timeline</h2>
${history.truncated ? html`<p class="hint">Only the first ${HISTORY_LIMIT} notifications are shown.</p>` : ""}
${renderTimeline(ctx, buildTimeline(history.notifications), self)}`;
      const { notice } = noticeOf(request.query);
      return sendPage(reply, page(ctx, { title: `Order ${mchtOrderNo}`, section: "orders", notice, body }));
    },
  );

  app.post(
    "/orders/:mchtOrderNo/query",
    { schema: { params: OrderParams, body: EmptyForm } },
    async (request, reply) => {
      const { mchtOrderNo } = request.params;
      const result = await queryOrderNow(orders, request.consoleCtx!.actor, { mchtOrderNo });
      if (isRefusal(result)) return refused(reply, request.consoleCtx!, "Not asked", result, mchtOrderNo);
      const notice = !result.payzero.known
        ? "queried-unknown"
        : result.payzero.changedOrder
          ? "queried-changed"
          : "queried-unchanged";
      return reply.redirect(withNotice(`${BASE}/orders/${encodeURIComponent(mchtOrderNo)}`, notice), 303);
    },
  );

  app.post(
    "/orders/:mchtOrderNo/retries",
    { schema: { params: OrderParams, body: RetryForm } },
    async (request, reply) => {
      const { mchtOrderNo } = request.params;
      const result = await announceRetry(orders, request.consoleCtx!.actor, {
        mchtOrderNo,
        kind: request.body.kind,
      });
      if (isRefusal(result)) return refused(reply, request.consoleCtx!, "Not announced", result, mchtOrderNo);
      return reply.redirect(
        withNotice(`${BASE}/orders/${encodeURIComponent(mchtOrderNo)}`, "retry-announced"),
        303,
      );
    },
  );
}

function refused(
  reply: FastifyReply,
  ctx: PageContext,
  title: string,
  refusal: { code: number; message: string },
  mchtOrderNo: string,
) {
  const body = html`<p><a href="${BASE}/orders/${encodeURIComponent(mchtOrderNo)}">Back to the order</a></p>`;
  return sendPage(
    reply.code(refusal.code),
    page(ctx, { title, error: `${title}: ${refusal.message}.`, body }),
  );
}

/** Ask Payzero now, and announce the retries the order's state allows (src/orders/retries.ts). */
function actions(
  ctx: PageContext,
  self: string,
  order: MaskedOrder | null,
  pending: Array<{ kind: string; generation: number; announcedAt: Date }>,
  canAsk: boolean,
): Html {
  const label = { pay: "Announce a new payment", declare: "Announce a re-declaration" } as const;
  const allowed = RETRY_KINDS.filter((k) => retryConflict(k, order) === undefined);
  return html`<section aria-labelledby="actions-h" class="card">
<h2 id="actions-h">Actions</h2>
${pending.map((r) => html`<p class="notice">A ${r.kind} retry was announced ${time(r.announcedAt)}: the next ${r.kind === "pay" ? "payment" : "declaration"} notification is forwarded as a new event.</p>`)}
<p>${canAsk ? actionButton(ctx, `${self}/query`, "Ask Payzero now") : html`<span class="hint">Asking Payzero needs PAYZERO_API_URL, PAYZERO_APP_ID and PAYZERO_APP_KEY.</span>`}
${allowed.map((k) => actionButton(ctx, `${self}/retries`, label[k], html`<input type="hidden" name="kind" value="${k}">`))}</p>
<p class="hint">Announce a retry after asking Payzero to pay again (sections 2.7, 4.2, 5.5, 6.2) or to declare again (8.1), so that an outcome identical to the earlier one is not taken for a resend.</p>
</section>`;
}

function searchForm(f: { prefix: string; payStatus: string; declareStatus: string }): Html {
  const options = (values: readonly string[], selected: string) =>
    html`<option value="">any</option>${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ""}>${v}</option>`)}`;
  return html`<form method="get" action="${BASE}/orders" class="filters" role="search">
  <div><label for="q">Order number starts with</label><input id="q" name="q" type="search" value="${f.prefix}"></div>
  <div><label for="payStatus">Pay status</label><select id="payStatus" name="payStatus">${options(PAY_STATUSES, f.payStatus)}</select></div>
  <div><label for="declareStatus">Declare status</label><select id="declareStatus" name="declareStatus">${options(DECLARE_STATUSES, f.declareStatus)}</select></div>
  <div><button type="submit">Search</button></div>
</form>`;
}

/** The answer to "did our systems get it?" before the details. */
function deliverySummary(notifications: HistoryNotification[]): Html {
  const all = notifications.flatMap((n) => n.deliveries);
  if (all.length === 0)
    return html`<p>No delivery: no endpoint was subscribed when its notifications came.</p>`;
  const count = (s: string) => all.filter((d) => d.status === s).length;
  const failed = count("failed");
  return html`<p class="${failed > 0 ? "error" : "notice"}">Deliveries: ${count("succeeded")} succeeded, ${count("pending")} pending, ${failed} failed.${failed > 0 ? " Each failed one shows its attempts and a retry button below." : ""}</p>`;
}

/** The refunds registered for the order (POST /v1/refunds), as Payzero last answered about them. */
function refundsTable(refunds: OrderHistory["refunds"]): Html {
  if (refunds.length === 0) return html``;
  return html`<div class="scroll"><table>
<caption>Refunds (polled with Payzero's refund status query until final)</caption>
<thead><tr><th scope="col">mchtRefundOrderNo</th><th scope="col">Status</th><th scope="col">Amount</th><th scope="col">Registered</th><th scope="col">Next query</th></tr></thead>
<tbody>${refunds.map(
    (r) =>
      html`<tr><td><code>${r.mchtRefundOrderNo}</code></td><td>${r.refundStatus ? statusBadge(r.refundStatus) : html`<span class="muted">not answered yet</span>`}${r.lastError ? html`<br><span class="muted">${r.lastError}</span>` : ""}</td><td class="num">${amount(r.refundAmount)}</td><td>${time(r.createdAt)}</td><td>${r.nextPollAt ? time(r.nextPollAt) : r.final ? "final" : "given up"}</td></tr>`,
  )}</tbody></table></div>`;
}

function amount(fen: number | null): string {
  return fen === null ? "–" : `${(fen / 100).toFixed(2)} CNY`;
}

function stateCard(o: MaskedOrder): Html {
  return html`<section aria-labelledby="state-h" class="card">
<h2 id="state-h">State</h2>
<dl class="facts">
  <dt>Pay status</dt><dd>${statusBadge(o.payStatus)}${o.payStatusAt !== null ? html` as of Payzero time ${time(new Date(o.payStatusAt))}` : ""}</dd>
  <dt>Declare status</dt><dd>${statusBadge(o.declareStatus)}${o.declareStatusAt !== null ? html` as of Payzero time ${time(new Date(o.declareStatusAt))}` : ""}</dd>
  ${o.declareFailReason ? html`<dt>Declare fail reason</dt><dd>${o.declareFailReason}</dd>` : ""}
  <dt>Amount</dt><dd>${amount(o.paymentAmount)}${o.paymentAmount !== null ? html` (${o.paymentAmount} fen)` : ""}</dd>
  <dt>Payer</dt><dd>${o.payerName ?? "–"} · ID ${o.payerNumber ?? "–"} · phone ${o.payerPhone ?? "–"}</dd>
  <dt>Subject</dt><dd>${o.subject ?? "–"}</dd>
  <dt>Payment order no</dt><dd>${o.paymentOrderNo ?? "–"}</dd>
  <dt>Payment time</dt><dd>${o.paymentDatetime ?? "–"}</dd>
  <dt>Customs pay company</dt><dd>${o.customsPayCompanyName ?? "–"} ${o.customsPayCompanyCode ? html`(${o.customsPayCompanyCode})` : ""}</dd>
  <dt>First seen / updated</dt><dd>${time(o.createdAt)} / ${time(o.updatedAt)}</dd>
</dl>
</section>`;
}
