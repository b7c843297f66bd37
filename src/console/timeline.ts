// One order's history as a single timeline: each notification, each state change it caused, each delivery
// with its attempts. Building the events is pure; rendering them is plain HTML.

import type { HistoryDelivery, HistoryNotification, Statuses } from "../orders/history.js";
import { maskUrl } from "../webhooks/endpoints/url-mask.js";
import { type Html, html } from "./html.js";
import {
  actionButton,
  BASE,
  backField,
  endpointLink,
  type PageContext,
  statusBadge,
  time,
} from "./layout.js";

export type TimelineEvent =
  | { kind: "notification"; at: Date; n: HistoryNotification }
  | { kind: "state"; at: Date; from: Statuses | null; to: Statuses; cause: HistoryNotification }
  | { kind: "delivery"; at: Date; d: HistoryDelivery; n: HistoryNotification };

const RANK = { notification: 0, state: 1, delivery: 2 } as const;

/** Oldest first; a notification, then the change it made, then its deliveries when times tie. */
export function buildTimeline(notifications: HistoryNotification[]): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  let state: Statuses | null = null;
  for (const n of notifications) {
    events.push({ kind: "notification", at: n.receivedAt, n });
    if (n.changedOrder && n.statusesAfter) {
      events.push({ kind: "state", at: n.storedAt, from: state, to: n.statusesAfter, cause: n });
      state = n.statusesAfter;
    }
    for (const d of n.deliveries) events.push({ kind: "delivery", at: new Date(d.createdAt), d, n });
  }
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at.getTime() - b.e.at.getTime() || RANK[a.e.kind] - RANK[b.e.kind] || a.i - b.i)
    .map(({ e }) => e);
}

/** `back`: the page a retry returns to. */
export function renderTimeline(ctx: PageContext, events: TimelineEvent[], back: string): Html {
  if (events.length === 0) return html`<p>No notification about this order has been stored.</p>`;
  return html`<ol class="timeline">${events.map((e) => html`<li class="event ${e.kind}">${renderEvent(ctx, e, back)}</li>`)}</ol>`;
}

function renderEvent(ctx: PageContext, e: TimelineEvent, back: string): Html {
  if (e.kind === "notification") return notificationEvent(e.n);
  if (e.kind === "state") return stateEvent(e.from, e.to, e.at);
  return deliveryEvent(ctx, e.d, back);
}

function notificationEvent(n: HistoryNotification): Html {
  // An applied message's problem names the malformed fields it kept (src/payzero/orderResult.ts).
  const kept = n.applied && n.problem ? html` <span class="badge wait">kept</span> ${n.problem}` : "";
  const outcome = n.refund
    ? html`refund <code>${n.refund.mchtRefundOrderNo}</code>: ${statusBadge(n.refund.refundStatus)} (the order's state is unchanged)`
    : n.problem && !n.applied
      ? html`<span class="badge bad">problem</span> ${n.problem}`
      : n.changedOrder
        ? html`<span class="badge ok">applied</span>${kept}`
        : html`<span class="badge wait">changed nothing</span> a repeat of a known state, or older than it${kept}`;
  return html`<h3>${time(n.receivedAt)} · Notification ${n.msgType}</h3>
<dl class="facts">
  <dt>Payzero time</dt><dd>${time(n.payzeroTime)}</dd>
  <dt>Arrived</dt><dd>${time(n.receivedAt)}</dd>
  <dt>Source</dt><dd>${n.source}${n.source === "payzero-query" ? (n.refund ? " (Payzero's refund status query)" : " (found by the reconciler)") : ""}</dd>
  <dt>Outcome</dt><dd>${outcome}</dd>
</dl>`;
}

function stateEvent(from: Statuses | null, to: Statuses, at: Date): Html {
  const change = (label: string, a: string | null | undefined, b: string | null) =>
    a === b ? "" : html`<li>${label}: ${a ? html`${statusBadge(a)} → ` : ""}${statusBadge(b)}</li>`;
  return html`<h3>${time(at)} · State changed</h3>
<ul class="changes">${change("Pay status", from?.payStatus, to.payStatus)}${change("Declare status", from?.declareStatus, to.declareStatus)}</ul>`;
}

function deliveryEvent(ctx: PageContext, d: HistoryDelivery, back: string): Html {
  const endpoint = endpointLink(d.webhookId, d.endpoint.description || maskUrl(d.endpoint.url));
  const retry =
    d.status !== "failed"
      ? ""
      : d.endpoint.enabled
        ? actionButton(ctx, `${BASE}/deliveries/${d.id}/retry`, `Retry delivery ${d.id}`, backField(back))
        : html`<p class="hint">The endpoint is disabled: ${endpointLink(d.webhookId, "enable it")} to retry.</p>`;
  return html`<h3>${time(d.createdAt)} · Delivery ${d.id} of ${d.msgType} to ${endpoint} ${statusBadge(d.status)}</h3>
${d.status === "pending" && d.nextAttemptAt ? html`<p>Next attempt ${time(d.nextAttemptAt)}.</p>` : ""}
${d.lastError ? html`<p>Last error: <strong>${d.lastError}</strong></p>` : ""}
${attemptsTable(d)}
${retry}`;
}

export function attemptsTable(
  d: { id: string; attempts: HistoryDelivery["attempts"] },
  caption = `Attempts of delivery ${d.id}`,
): Html {
  if (d.attempts.length === 0) return html`<p class="muted">No attempt yet.</p>`;
  return html`<div class="scroll"><table>
<caption>${caption}</caption>
<thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Result</th><th scope="col">Duration</th><th scope="col">Start of the answer</th></tr></thead>
<tbody>${d.attempts.map(
    (a, i) => html`<tr>
<td>${i + 1}</td><td>${time(a.attemptedAt)}</td>
<td>${attemptResult(a)}</td>
<td>${a.durationMs} ms</td><td><code class="excerpt">${excerpt(a.responseExcerpt)}</code></td></tr>`,
  )}</tbody></table></div>`;
}

/** An HTTP attempt shows its status; a broker publish has none: its error, or "accepted" (the broker's words are the excerpt). */
function attemptResult(a: { statusCode: number | null; error: string | null }): Html | string {
  if (a.statusCode !== null)
    return html`<span class="badge ${a.statusCode >= 200 && a.statusCode < 300 ? "ok" : "bad"}">HTTP ${a.statusCode}</span>`;
  return a.error ?? html`<span class="badge ok">accepted</span>`;
}

function excerpt(text: string | null): string {
  if (!text) return "";
  const chars = Array.from(text);
  return chars.length > 200 ? `${chars.slice(0, 200).join("")}…` : text;
}
