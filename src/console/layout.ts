// The page shell every console page shares: head, navigation, sign-out, notices.
import type { Actor } from "../actor.js";
import { type Html, html, type Part } from "./html.js";

export const BASE = "/console";

export interface PageContext {
  /** The CSRF token of the session, put into every form. */
  csrf: string;
  /** Who is signed in: the actor of the operations this session's forms call. */
  actor: Actor;
}

export interface Page {
  title: string;
  /** Which navigation entry is current. */
  section?: "overview" | "orders" | "deliveries" | "endpoints" | "tokens" | "audit";
  notice?: string | undefined;
  error?: string | undefined;
  body: Part;
}

const NAV = [
  ["overview", "Overview", BASE],
  ["orders", "Orders", `${BASE}/orders`],
  ["deliveries", "Deliveries", `${BASE}/deliveries`],
  ["endpoints", "Endpoints", `${BASE}/endpoints`],
  ["tokens", "Tokens", `${BASE}/tokens`],
  ["audit", "Audit log", `${BASE}/audit`],
] as const;

export function document(title: string, main: Part, header: Part = ""): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · payzero-notify console</title>
<link rel="stylesheet" href="${BASE}/assets/console.css">
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main" tabindex="-1">
${main}
</main>
</body>
</html>`;
}

export function page(ctx: PageContext, p: Page): Html {
  const header = html`<header class="top">
  <a class="brand" href="${BASE}">payzero-notify</a>
  <nav aria-label="Main">
    <ul>${NAV.map(
      ([key, label, href]) =>
        html`<li><a href="${href}"${p.section === key ? html` aria-current="page"` : ""}>${label}</a></li>`,
    )}</ul>
  </nav>
  <form method="post" action="${BASE}/logout" class="signout">
    ${csrfField(ctx)}<button type="submit">Sign out</button>
  </form>
</header>`;
  const main = html`<h1>${p.title}</h1>
${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ""}
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ""}
${p.body}`;
  return document(p.title, main, header);
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** A one-button POST form (retry, enable, …). */
export function actionButton(ctx: PageContext, action: string, label: string, extra: Part = ""): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}${extra}<button type="submit">${label}</button></form>`;
}

export function time(date: Date | string | null | undefined): Html {
  if (date === null || date === undefined) return html`<span class="muted">–</span>`;
  const iso = typeof date === "string" ? date : date.toISOString();
  return html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}</time>`;
}

export function statusBadge(status: string | null | undefined): Html {
  if (!status) return html`<span class="muted">–</span>`;
  const tone = /SUCCEED|^DECLARED$|succeeded|enabled/.test(status)
    ? "ok"
    : /FAIL|failed|disabled/.test(status)
      ? "bad"
      : "wait";
  return html`<span class="badge ${tone}">${status}</span>`;
}

export function orderLink(mchtOrderNo: string): Html {
  return html`<a href="${BASE}/orders/${encodeURIComponent(mchtOrderNo)}">${mchtOrderNo}</a>`;
}

export function endpointLink(id: string, label?: string | null): Html {
  return html`<a href="${BASE}/endpoints/${encodeURIComponent(id)}">${label || id}</a>`;
}

/** Where an action returns to (checked against safeNext by the action). */
export function backField(back: string): Html {
  return html`<input type="hidden" name="back" value="${back}">`;
}
