// deploy/grafana: a dashboard Grafana can import as it stands: its panels laid out without overlap,
// each querying the Prometheus data source the dashboard asks for at import, on the topics.
// (Its metrics are checked against the service's /metrics in metric-names.test.ts.)
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const dir = new URL("../../../deploy/grafana/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".json"));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: Array<{ name: string; type: string; query: string }> };
  panels: Panel[];
}

describe("deploy/grafana", () => {
  it("holds the dashboard", () => {
    expect(files).toEqual(["payzero-notify.json"]);
  });

  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as Dashboard;

    it(`${file}: asks for a Prometheus data source and every query uses it`, () => {
      expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      const variable = dashboard.templating.list.find((v) => v.type === "datasource");
      expect(variable?.query).toBe("prometheus");
      const uid = `\${${variable!.name}}`;
      for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
        expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid });
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const t of panel.targets ?? []) expect(t.datasource?.uid, panel.title).toBe(uid);
        expect(new Set(panel.targets!.map((t) => t.refId)).size).toBe(panel.targets!.length);
      }
    });

    it(`${file}: lays its panels out on Grafana's 24-column grid without overlap, ids unique`, () => {
      const ids = dashboard.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const taken = new Set<string>();
      for (const { title, gridPos: g } of dashboard.panels) {
        expect(g.x + g.w, title).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(taken.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
            taken.add(`${x},${y}`);
          }
      }
    });

    it(`${file}: shows ingest by outcome, lag, queue depth, deliveries by endpoint and outcome, the reconciler`, () => {
      const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
      const shows = (pattern: RegExp) => exprs.some((e) => pattern.test(e));
      expect(shows(/by \(outcome\) \(rate\(pzn_notifications_received_total/)).toBe(true);
      expect(shows(/pzn_notification_lag_seconds_bucket/)).toBe(true);
      expect(shows(/pzn_queue_jobs/)).toBe(true);
      expect(shows(/by \(endpoint, outcome\) \(rate\(pzn_delivery_attempts_total/)).toBe(true);
      expect(shows(/pzn_reconcile_runs_total/)).toBe(true);
    });
  }
});
