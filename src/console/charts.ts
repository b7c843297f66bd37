// Small server-rendered SVG bar charts (no script; styled by classes so the CSP needs no inline style).
import { type Html, html } from "./html.js";

export interface Series {
  name: string;
  /** A class of console.css: bar, bar-ok, bar-bad. */
  className: string;
  values: number[];
}

const WIDTH = 300;
const HEIGHT = 90;
const TOP = 14;

/** Stacked bars, one per bucket, oldest left; `labels` name the first and last bucket; `id` unique in the page. */
export function barChart(id: string, title: string, series: Series[], labels: [string, string]): Html {
  const buckets = Math.max(...series.map((s) => s.values.length), 1);
  const totals = Array.from({ length: buckets }, (_, i) =>
    series.reduce((n, s) => n + (s.values[i] ?? 0), 0),
  );
  const peak = Math.max(...totals, 1);
  const step = WIDTH / buckets;
  const scale = (HEIGHT - TOP) / peak;
  const bars = Array.from({ length: buckets }, (_, i) => {
    let y = HEIGHT;
    return series.map((s) => {
      const h = (s.values[i] ?? 0) * scale;
      y -= h;
      return h > 0
        ? html`<rect class="${s.className}" x="${(i * step + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(step - 2, 1).toFixed(1)}" height="${h.toFixed(1)}"></rect>`
        : "";
    });
  });
  const sum = (s: Series) => s.values.reduce((a, b) => a + b, 0);
  const description = `${series.map((s) => `${s.name}: ${sum(s)}`).join(", ")}; highest bar ${peak}.`;
  return html`<figure class="chart-box">
<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT + 14}" role="img" aria-labelledby="${id}-t ${id}-d">
<title id="${id}-t">${title}</title><desc id="${id}-d">${description}</desc>
<text x="0" y="10">max ${peak}</text>
<line class="axis" x1="0" y1="${HEIGHT}" x2="${WIDTH}" y2="${HEIGHT}"></line>
${bars}
<text x="0" y="${HEIGHT + 12}">${labels[0]}</text><text x="${WIDTH}" y="${HEIGHT + 12}" text-anchor="end">${labels[1]}</text>
</svg>
<figcaption>${title}: ${series.map((s, i) => html`${i > 0 ? ", " : ""}<span class="key ${s.className}">${s.name}</span> ${sum(s)}`)}</figcaption>
</figure>`;
}
