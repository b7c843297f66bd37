// deploy/prometheus with Prometheus' own checker (promtool, Debian's `prometheus` package; .ci/run
// installs it): the rules load, their unit tests (alerts.test.yml) pass, and the example
// configuration is valid.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../../../deploy/prometheus/", import.meta.url));
const read = (file: string) => readFileSync(join(dir, file), "utf8");
/** The files holding rule groups (not the unit tests, not the example configuration). */
const ruleFiles = readdirSync(dir).filter(
  (f) => /\.ya?ml$/.test(f) && (parse(read(f)) as { groups?: unknown })?.groups,
);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run("promtool", args, { cwd: dir });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

describe("deploy/prometheus", () => {
  it("holds rule files that promtool checks", async () => {
    expect(ruleFiles).toContain("alerts.yml");
    const out = await promtool("check", "rules", ...ruleFiles);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("fires each alert on the series it is about (promtool test rules)", async () => {
    const out = await promtool("test", "rules", "alerts.test.yml");
    expect(out).toMatch(/SUCCESS/);
  }, 30_000);

  it("has a unit test for every alert", () => {
    const rules = parse(read("alerts.yml")) as { groups: Array<{ rules: Array<{ alert: string }> }> };
    const tests = parse(read("alerts.test.yml")) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts.filter((a) => !fired.has(a))).toEqual([]);
  });

  it("ships an example configuration promtool accepts", async () => {
    // Its token file is the operator's: a stand-in beside a copy of the configuration.
    const scratch = mkdtempSync(join(tmpdir(), "pzn-prometheus-"));
    try {
      for (const f of ["prometheus.example.yml", "alerts.yml"]) copyFileSync(join(dir, f), join(scratch, f));
      writeFileSync(join(scratch, "payzero-notify-metrics-token"), "a-metrics-token-of-the-operator\n");
      const { stdout } = await run("promtool", ["check", "config", "prometheus.example.yml"], {
        cwd: scratch,
      });
      expect(stdout).toMatch(/SUCCESS/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
