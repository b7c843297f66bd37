// /console: the last hour and day at a glance.

import type { FastifyInstance } from "fastify";
import { throttledLog } from "../ops/log-throttle.js";
import { type Lag, overviewFigures, SCAN_LIMIT } from "../ops/overview.js";
import { createReconcileQueue } from "../queue/queue.js";
import { withTimeout } from "../util.js";
import { maskUrl } from "../webhooks/endpoints/url-mask.js";
import { barChart } from "./charts.js";
import type { ConsoleDeps } from "./deps.js";
import { type Html, html } from "./html.js";
import {
  emptyCounts,
  type IngestHistory,
  ingestHistory,
  OUTCOMES,
  type OutcomeCounts,
} from "./ingest-history.js";
import { BASE, endpointLink, page, statusBadge, time } from "./layout.js";
import { queueDepth, type ReconcileRun, reconcileRuns } from "./overview-data.js";
import { sendPage } from "./respond.js";

const REDIS_WAIT_MS = 1000;
const OUTCOME_LABELS: Record<string, string> = {
  accepted: "accepted",
  duplicate: "duplicate",
  bad_sign: "bad sign",
  bad_request: "refused (bad request)",
  unavailable: "unavailable (503)",
};

export function overviewRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { config } = deps;
  // Redis down or full fails every flush the same way: one line, then a count a minute.
  const flushFailures = throttledLog(app.log);
  const history: IngestHistory | undefined =
    deps.redis &&
    ingestHistory(deps.redis, config.redisPrefix, (err) =>
      flushFailures.warn({ err }, "console: receiver counts not written to Redis"),
    );
  const reconciler =
    deps.redis && config.payzeroApi ? createReconcileQueue(deps.redis, config.redisPrefix) : undefined;
  app.addHook("onClose", async () => {
    history?.stop();
    flushFailures.stop();
    await reconciler?.close();
  });

  app.get("/", async (request, reply) => {
    const now = (deps.now ?? Date.now)();
    // A silent Redis costs the page a second at most: its parts then say so.
    const fromRedis = <T>(read: () => Promise<T>) =>
      withTimeout(read(), REDIS_WAIT_MS).catch((err: unknown) => {
        request.log.warn({ err }, "console: Redis did not answer");
        return null;
      });
    if (history) await fromRedis(() => history.flush());
    const [minutes, hours, figures, depth, runs] = await Promise.all([
      history ? fromRedis(() => history.series("minute", 60, now)) : null,
      history ? fromRedis(() => history.series("hour", 24, now)) : null,
      overviewFigures(deps.orders, now),
      fromRedis(() => queueDepth(deps.notificationQueue)),
      fromRedis(() => reconcileRuns(reconciler)),
    ]);
    const { lagHour, lagDay, attemptsHour, attemptsDay, states, troubled } = figures;
    const received = minutes && hours ? { fiveMin: groups(minutes, 5), hours } : null;
    const sum = (rows: Array<[number, number]>, i: 0 | 1) => rows.reduce((n, r) => n + r[i], 0);
    const body = html`<div class="grid">
<section class="card" aria-labelledby="recv-h"><h2 id="recv-h">Notifications received</h2>
${received ? receivedTable(received.fiveMin, received.hours) : html`<p class="hint">Redis did not answer: no counts.</p>`}
${received ? receivedCharts(received.fiveMin, received.hours) : ""}
</section>
<section class="card" aria-labelledby="lag-h"><h2 id="lag-h">Processing</h2>
${lagTable(lagHour, lagDay)}
<h3>Queue depth</h3>
${depth ? html`<p>${depth.waiting ?? 0} waiting · ${depth.active ?? 0} active · ${depth.delayed ?? 0} delayed (retrying) · ${depth.failed ?? 0} failed</p>` : html`<p class="hint">Redis did not answer.</p>`}
</section>
<section class="card" aria-labelledby="del-h"><h2 id="del-h">Deliveries</h2>
<div class="scroll"><table><caption>Delivery attempts and failures</caption>
<thead><tr><th scope="col">Outcome</th><th scope="col" class="num">Last hour</th><th scope="col" class="num">Last day</th></tr></thead>
<tbody>
<tr><th scope="row">attempts succeeded</th><td class="num">${sum(attemptsHour, 0)}</td><td class="num">${sum(attemptsDay, 0)}</td></tr>
<tr><th scope="row">attempts failed</th><td class="num">${sum(attemptsHour, 1)}</td><td class="num">${sum(attemptsDay, 1)}</td></tr>
<tr><th scope="row">deliveries given up (failed)</th><td class="num">${states.failedHour}</td><td class="num">${states.failedDay}</td></tr>
</tbody></table></div>
<p>Now: <a href="${BASE}/deliveries?status=pending">${states.pending} pending</a> · <a href="${BASE}/deliveries?status=failed">${states.failed} failed</a></p>
${barChart(
  "att-h",
  "Delivery attempts, last hour (5 min)",
  [
    { name: "succeeded", className: "bar-ok", values: attemptsHour.map((r) => r[0]) },
    { name: "failed", className: "bar-bad", values: attemptsHour.map((r) => r[1]) },
  ],
  ["-60 min", "now"],
)}
${barChart(
  "att-d",
  "Delivery attempts, last day (hours)",
  [
    { name: "succeeded", className: "bar-ok", values: attemptsDay.map((r) => r[0]) },
    { name: "failed", className: "bar-bad", values: attemptsDay.map((r) => r[1]) },
  ],
  ["-24 h", "now"],
)}
</section>
<section class="card" aria-labelledby="ep-h"><h2 id="ep-h">Endpoints failing or disabled</h2>
${
  troubled.length === 0
    ? html`<p>None: every endpoint is enabled and its last attempt succeeded.</p>`
    : html`<ul>${troubled.map(
        (e) =>
          html`<li>${endpointLink(e.id, e.description || maskUrl(e.url))} ${statusBadge(e.enabled ? "enabled" : "disabled")}${e.failingSince ? html` failing since ${time(e.failingSince)}` : ""}</li>`,
      )}</ul>`
}
</section>
<section class="card" aria-labelledby="rec-h"><h2 id="rec-h">Reconciler</h2>
${reconcilerPart(config.payzeroApi !== null, runs)}
</section>
</div>
<p class="hint">Lag and delivery figures read the newest ${SCAN_LIMIT.toLocaleString("en")} rows at most.</p>`;
    return sendPage(reply, page(request.consoleCtx!, { title: "Overview", section: "overview", body }));
  });
}

/** Sums every `size` consecutive counts. */
function groups(rows: OutcomeCounts[], size: number): OutcomeCounts[] {
  const out: OutcomeCounts[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(total(rows.slice(i, i + size)));
  return out;
}

function total(rows: OutcomeCounts[]): OutcomeCounts {
  const t = emptyCounts();
  for (const r of rows) for (const o of OUTCOMES) t[o] += r[o];
  return t;
}

function receivedTable(fiveMin: OutcomeCounts[], hours: OutcomeCounts[]): Html {
  const hour = total(fiveMin);
  const day = total(hours);
  return html`<div class="scroll"><table><caption>What the receiver answered Payzero</caption>
<thead><tr><th scope="col">Outcome</th><th scope="col" class="num">Last hour</th><th scope="col" class="num">Last day</th></tr></thead>
<tbody>${OUTCOMES.map(
    (o) =>
      html`<tr><th scope="row">${OUTCOME_LABELS[o]}</th><td class="num">${hour[o]}</td><td class="num">${day[o]}</td></tr>`,
  )}</tbody></table></div>`;
}

function receivedCharts(fiveMin: OutcomeCounts[], hours: OutcomeCounts[]): Html {
  const split = (rows: OutcomeCounts[]) => [
    { name: "accepted or duplicate", className: "bar-ok", values: rows.map((r) => r.accepted + r.duplicate) },
    {
      name: "refused or unavailable",
      className: "bar-bad",
      values: rows.map((r) => r.bad_sign + r.bad_request + r.unavailable),
    },
  ];
  return html`${barChart("recv-h", "Received, last hour (5 min)", split(fiveMin), ["-60 min", "now"])}
${barChart("recv-d", "Received, last day (hours)", split(hours), ["-24 h", "now"])}`;
}

function seconds(value: number | null): string {
  if (value === null) return "–";
  return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(1)} s`;
}

function lagTable(hour: Lag, day: Lag): Html {
  return html`<div class="scroll"><table><caption>From arrival to stored in Postgres</caption>
<thead><tr><th scope="col">Measure</th><th scope="col" class="num">Last hour</th><th scope="col" class="num">Last day</th></tr></thead>
<tbody>
<tr><th scope="row">stored</th><td class="num">${hour.stored}</td><td class="num">${day.stored}</td></tr>
<tr><th scope="row">median lag</th><td class="num">${seconds(hour.p50)}</td><td class="num">${seconds(day.p50)}</td></tr>
<tr><th scope="row">95th percentile</th><td class="num">${seconds(hour.p95)}</td><td class="num">${seconds(day.p95)}</td></tr>
<tr><th scope="row">longest</th><td class="num">${seconds(hour.max)}</td><td class="num">${seconds(day.max)}</td></tr>
</tbody></table></div>`;
}

function reconcilerPart(configured: boolean, runs: ReconcileRun[] | null): Html {
  if (!configured)
    return html`<p>Off: <code>PAYZERO_API_URL</code>, <code>PAYZERO_APP_ID</code> and <code>PAYZERO_APP_KEY</code> are not all set.</p>`;
  if (runs === null) return html`<p class="hint">Redis did not answer.</p>`;
  if (runs.length === 0) return html`<p>No run yet.</p>`;
  return html`<div class="scroll"><table><caption>Last runs, newest first</caption>
<thead><tr><th scope="col">Finished</th><th scope="col">Outcome</th></tr></thead>
<tbody>${runs.map(
    (r) =>
      html`<tr><td>${time(r.finishedAt)}</td><td>${
        r.ok
          ? html`${statusBadge("succeeded")} ${r.result?.queried ?? 0} queried, ${r.result?.changed ?? 0} changed, ${r.result?.failed ?? 0} failed`
          : html`${statusBadge("failed")} ${r.reason}`
      }</td></tr>`,
  )}</tbody></table></div>`;
}
