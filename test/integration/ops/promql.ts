// What the dashboard and alert rules ask Prometheus for: the metric names (and label names) of
// their PromQL expressions, read with Prometheus' own grammar (@prometheus-io/lezer-promql, the
// parser of Prometheus' web UI) rather than a hand-written tokenizer.
import { readdirSync, readFileSync } from "node:fs";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";

export interface Selector {
  metric: string;
  /** Label names in the selector's matchers ({outcome="failed"}). */
  labels: string[];
}

export interface Expression {
  /** Where it comes from: file and panel title or alert name. */
  source: string;
  expr: string;
}

/**
 * Grafana's range variables are not PromQL: they become a plain duration before parsing (the
 * metric names do not depend on them).
 */
const GRAFANA_VARIABLES = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

/** The selectors of one expression; throws when it does not parse. */
export function selectorsOf(expr: string): Selector[] {
  const text = expr.replace(GRAFANA_VARIABLES, "5m");
  const tree = parser.parse(text);
  const selectors: Selector[] = [];
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`at ${node.from}: ${JSON.stringify(text.slice(node.from, node.to + 10))}`);
      if (node.name !== "VectorSelector") return;
      let metric = "";
      const labels: string[] = [];
      const selector = node.node;
      const name = selector.getChild("Identifier");
      if (name) metric = text.slice(name.from, name.to);
      const matchers = selector.getChild("LabelMatchers");
      for (const matcher of matchers?.getChildren("UnquotedLabelMatcher") ?? []) {
        const label = matcher.getChild("LabelName");
        const value = matcher.getChild("StringLiteral");
        if (!label) continue;
        const labelName = text.slice(label.from, label.to);
        // {__name__="x"} names the metric the long way.
        if (labelName === "__name__" && value)
          metric = JSON.parse(text.slice(value.from, value.to)) as string;
        else labels.push(labelName);
      }
      selectors.push({ metric, labels });
    },
  });
  if (errors.length > 0) throw new Error(`PromQL does not parse: ${expr}\n  ${errors.join("\n  ")}`);
  return selectors;
}

const deployDir = new URL("../../../deploy/", import.meta.url);

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL expression of deploy/grafana/*.json: panel targets, rows' panels, query variables. */
export function dashboardExpressions(): Expression[] {
  const found: Expression[] = [];
  const dir = new URL("grafana/", deployDir);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as {
      panels?: Panel[];
      templating?: { list?: Array<{ name: string; type: string; query?: unknown }> };
    };
    const walk = (panels: Panel[] = []) => {
      for (const panel of panels) {
        for (const t of panel.targets ?? [])
          if (t.expr) found.push({ source: `${file}: ${panel.title}`, expr: t.expr });
        walk(panel.panels);
      }
    };
    walk(dashboard.panels);
    for (const v of dashboard.templating?.list ?? []) {
      if (v.type === "query" && typeof v.query === "string")
        found.push({ source: `${file}: variable ${v.name}`, expr: v.query });
    }
  }
  return found;
}

/** Every rule expression of deploy/prometheus/*.yml (the unit tests' files hold no rules). */
export function ruleExpressions(): Expression[] {
  const found: Expression[] = [];
  const dir = new URL("prometheus/", deployDir);
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parse(readFileSync(new URL(file, dir), "utf8")) as {
      groups?: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
    };
    for (const group of doc?.groups ?? [])
      for (const rule of group.rules)
        found.push({ source: `${file}: ${rule.alert ?? rule.record}`, expr: String(rule.expr) });
  }
  return found;
}

/** The names a Prometheus text exposition serves: its families' names with their types' suffixes. */
export function exposedNames(text: string): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  const add = (name: string) => {
    if (!names.has(name)) names.set(name, new Set());
    return names.get(name)!;
  };
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      const suffixes =
        kind === "histogram"
          ? ["_bucket", "_sum", "_count"]
          : kind === "summary"
            ? ["", "_sum", "_count"]
            : [""];
      for (const s of suffixes) add(`${name}${s}`);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    // A sample: name{label="value",...} value — its label names, for the selectors' matchers.
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels = add(sample[1]!);
    for (const m of (sample[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(m[1]!);
  }
  return names;
}
