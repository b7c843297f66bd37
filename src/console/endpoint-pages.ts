// The HTML of the endpoint pages: the list, the add form, one endpoint with its forms.

import { REFUND_STATUS_NOTIFY } from "../payzero/refund.js";
import type { EndpointView } from "../webhooks/endpoints/operations.js";
import type { TestEventResult } from "../webhooks/endpoints/test-event.js";
import { type Html, html } from "./html.js";
import {
  actionButton,
  BASE,
  backField,
  csrfField,
  endpointLink,
  type PageContext,
  statusBadge,
  time,
} from "./layout.js";
import { attemptsTable } from "./timeline.js";

export type Endpoint = EndpointView;
const KNOWN_MSG_TYPES = ["PAY_STATUS_NOTIFY", "DECLARE_STATUS_NOTIFY", REFUND_STATUS_NOTIFY];

export interface EndpointFields {
  url: string;
  description: string;
  msgTypes: string[] | null;
  ordering: string;
}

export function endpointList(endpoints: Endpoint[], counts: (id: string, status: string) => number): Html {
  return html`<p><a href="${BASE}/endpoints/new">Add an endpoint</a></p>
${
  endpoints.length === 0
    ? html`<p>No endpoint yet: nothing is forwarded.</p>`
    : html`<div class="scroll"><table>
<caption>Endpoints that receive the notifications</caption>
<thead><tr><th scope="col">Endpoint</th><th scope="col">URL</th><th scope="col">Types</th><th scope="col">State</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Pending</th></tr></thead>
<tbody>${endpoints.map(
        (
          e,
        ) => html`<tr><td>${endpointLink(e.id, e.description || e.id)}</td><td class="secret">${e.url}</td><td>${e.msgTypes ? e.msgTypes.join(", ") : "every type"}${e.payStatus || e.declareStatus ? html`<br><span class="muted">${statusFilter(e)}</span>` : ""}</td>
<td>${statusBadge(e.enabled ? "enabled" : "disabled")}${e.failingSince ? html` <span class="badge bad">failing since ${time(e.failingSince)}</span>` : ""}</td>
<td class="num"><a href="${BASE}/deliveries?status=failed&amp;webhookId=${encodeURIComponent(e.id)}">${counts(e.id, "failed")}</a></td>
<td class="num"><a href="${BASE}/deliveries?status=pending&amp;webhookId=${encodeURIComponent(e.id)}">${counts(e.id, "pending")}</a></td></tr>`,
      )}</tbody></table></div>`
}`;
}

/** URL, description and the types: the fields of the add and the edit form. */
function endpointFields(f: EndpointFields): Html {
  const types = [...KNOWN_MSG_TYPES, ...(f.msgTypes ?? []).filter((t) => !KNOWN_MSG_TYPES.includes(t))];
  return html`<div><label for="url">URL</label><input id="url" name="url" type="url" required maxlength="2048" value="${f.url}" placeholder="https://erp.internal/payzero"></div>
<div><label for="description">Description</label><input id="description" name="description" type="text" maxlength="500" value="${f.description}"></div>
<fieldset><legend>Message types</legend>
${types.map(
  (t, i) =>
    html`<div><input type="checkbox" id="type-${i}" name="msgTypes" value="${t}"${f.msgTypes?.includes(t) ? html` checked` : ""}> <label for="type-${i}">${t}</label></div>`,
)}
<p class="hint">None ticked: every type, including types Payzero adds later.</p>
</fieldset>
<div><input type="checkbox" id="ordering" name="ordering" value="per-order"${f.ordering === "per-order" ? html` checked` : ""}> <label for="ordering">One delivery of an order at a time, in <code>order.version</code> order (per-order)</label>
<p class="hint">A later event of an order waits while an earlier one is retried; other orders go on. Unticked: no waiting.</p></div>`;
}

export function newEndpointForm(ctx: PageContext, f: EndpointFields): Html {
  return html`<form method="post" action="${BASE}/endpoints" class="stack">
${csrfField(ctx)}${endpointFields(f)}
<button type="submit">Add endpoint</button>
</form>`;
}

export interface EndpointPageState {
  /** The secret just made (added, rotated): shown in this answer only. */
  newSecret?: string | undefined;
  test?: TestEventResult;
  fields?: EndpointFields;
  overlapHours: number;
}

export function endpointPage(
  ctx: PageContext,
  e: Endpoint,
  counts: { failed: number; pending: number },
  s: EndpointPageState,
): Html {
  const self = `${BASE}/endpoints/${encodeURIComponent(e.id)}`;
  const fields = s.fields ?? {
    url: e.url,
    description: e.description ?? "",
    msgTypes: e.msgTypes,
    ordering: e.ordering,
  };
  return html`<section class="card" aria-labelledby="about-h">
<h2 id="about-h">Endpoint</h2>
<dl class="facts">
  <dt>ID</dt><dd><code>${e.id}</code></dd>
  <dt>URL</dt><dd>${e.url}</dd>
  <dt>Types</dt><dd>${e.msgTypes ? e.msgTypes.join(", ") : "every type"}</dd>
  <dt>Status filter</dt><dd>${statusFilter(e)}</dd>
  <dt>Ordering</dt><dd>${e.ordering === "per-order" ? "per order: one delivery of an order at a time, in version order" : "none: deliveries go as they come"}</dd>
  <dt>Headers</dt><dd>${e.headers.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="plain">${e.headers.map((h) => html`<li><code>${h.name}</code>: <span class="muted">${h.value}</span></li>`)}</ul>`}</dd>
  <dt>State</dt><dd>${statusBadge(e.enabled ? "enabled" : "disabled")}${e.failingSince ? html` failing since ${time(e.failingSince)}` : ""}</dd>
  <dt>Deliveries</dt><dd><a href="${BASE}/deliveries?status=failed&amp;webhookId=${encodeURIComponent(e.id)}">${counts.failed} failed</a> · <a href="${BASE}/deliveries?status=pending&amp;webhookId=${encodeURIComponent(e.id)}">${counts.pending} pending</a></dd>
  <dt>Secret</dt><dd>${s.newSecret ? html`<code class="secret" id="secret">${s.newSecret}</code><br><strong>Copy it now: it is not shown again.</strong>` : html`<span class="muted">shown only when added or rotated</span>`}</dd>
  ${e.previousSecretExpiresAt ? html`<dt>Old secret</dt><dd>still signs deliveries until ${time(e.previousSecretExpiresAt)}</dd>` : ""}
</dl>
<p>${actionButton(ctx, `${self}/enabled`, e.enabled ? "Disable endpoint" : "Enable endpoint", html`<input type="hidden" name="enabled" value="${e.enabled ? "false" : "true"}">`)}
${counts.failed > 0 && e.enabled ? actionButton(ctx, `${self}/retry-failed`, `Retry all ${counts.failed} failed deliveries`, backField(self)) : ""}</p>
</section>
<section class="card" aria-labelledby="test-h">
<h2 id="test-h">Test</h2>
<p>Sends one signed <code>CONSOLE_TEST</code> event to the URL now and shows the answer. It is not stored and not retried.</p>
${actionButton(ctx, `${self}/test`, "Send test event")}
${s.test ? testResult(s.test) : ""}
</section>
<section class="card" aria-labelledby="edit-h">
<h2 id="edit-h">Edit</h2>
<form method="post" action="${self}" class="stack">${csrfField(ctx)}${endpointFields(fields)}<button type="submit">Save changes</button></form>
</section>
<section class="card" aria-labelledby="rotate-h">
<h2 id="rotate-h">Rotate the secret</h2>
<p>A new secret is generated. During the overlap every delivery carries a signature with the new and one with the old secret, so your receiver can switch at any time within it.</p>
<form method="post" action="${self}/rotate" class="stack">${csrfField(ctx)}
<div><label for="overlapHours">Keep the old secret valid for (hours, 0 retires it at once)</label><input id="overlapHours" name="overlapHours" type="number" min="0" max="168" step="1" required value="${s.overlapHours}"></div>
<button type="submit">Rotate secret</button></form>
</section>`;
}

/** The payStatus/declareStatus filters in words (set through the API; see docs/webhooks.md). */
function statusFilter(e: Pick<Endpoint, "payStatus" | "declareStatus">): string {
  const parts = [
    e.payStatus && `payStatus ${e.payStatus.join(" or ")}`,
    e.declareStatus && `declareStatus ${e.declareStatus.join(" or ")}`,
  ].filter((p): p is string => typeof p === "string");
  return parts.length === 0 ? "any status" : `only messages with ${parts.join(" and ")}`;
}

function testResult(t: TestEventResult): Html {
  const o = t.outcome;
  return html`<div role="status" class="${o.ok ? "notice" : "error"}">Test event <code>${t.messageId}</code>: ${o.ok ? "delivered" : "failed"}.</div>
${attemptsTable(
  {
    id: "test",
    attempts: [
      {
        id: "1",
        attemptedAt: t.sentAt.toISOString(),
        durationMs: o.durationMs,
        statusCode: o.statusCode,
        error: o.error,
        responseExcerpt: o.responseExcerpt,
      },
    ],
  },
  "The test event's attempt",
)}`;
}
