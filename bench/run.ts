// `npm run bench [-- --short] [--phase ingest|latency|burst|history|tracing|database] [--no-build] [--cpu-prof] [--burst N]
// [--duration S] [--history-burst N] [--history NOTIFICATIONS] [--forward-deadline S]`:
// starts what it needs (its own database, Redis prefix, the service, a bare Fastify route and a
// webhook receiver), measures, prints a table, and removes everything it made. Exits non-zero on
// a functional failure (a message not answered OK, not forwarded, or forwarded twice), never on speed.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { runDatabase } from "./database.js";
import { type HistorySettings, runHistory } from "./history.js";
import { runBurst, runIngest, runLatency, type Settings } from "./phases.js";
import { freePort, ROOT, startHelper, stopAll, withDeadline } from "./processes.js";
import { type Figure, printTable } from "./report.js";
import { createResources, type Resources } from "./resources.js";
import { runTracing } from "./tracing.js";

/** `tracing` and `database` are not in the default run: ask for them (`--phase tracing`). */
const PHASES = ["ingest", "latency", "burst", "history", "tracing", "database"] as const;
const DEFAULT_PHASES = PHASES.filter((p) => p !== "tracing" && p !== "database");

function settings(): Settings & HistorySettings & { phases: string[]; build: boolean; deadlineMs: number } {
  const { values } = parseArgs({
    options: {
      short: { type: "boolean", default: false },
      phase: { type: "string", multiple: true },
      "no-build": { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
      burst: { type: "string" },
      role: { type: "string", default: "all" },
      duration: { type: "string" },
      "history-burst": { type: "string" },
      history: { type: "string" },
      "forward-deadline": { type: "string" },
    },
  });
  const phases = values.phase ?? [...DEFAULT_PHASES];
  const unknown = phases.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown --phase ${unknown.join(", ")} (${PHASES.join(", ")})`);
  const short = values.short;
  return {
    phases,
    build: !values["no-build"],
    short,
    durationS: Number(values.duration ?? (short ? 2 : 10)),
    rate: 500,
    burstSize: Number(values.burst ?? (short ? 200 : 10_000)),
    historyBurst: Number(values["history-burst"] ?? (short ? 200 : 5000)),
    historyNotifications: Number(values.history ?? (short ? 10_000 : 1_000_000)),
    forwardDeadlineMs: 1000 * Number(values["forward-deadline"] ?? (short ? 60 : 300)),
    deadlineMs: short ? 5 * 60_000 : 40 * 60_000,
    role: values.role,
    nodeArgs: values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir=tmp/bench-prof"] : [],
  };
}

function build(): void {
  console.log("building (npm run build) …");
  const result = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit", timeout: 300_000 });
  if (result.status !== 0) throw new Error("npm run build failed");
}

async function main(): Promise<number> {
  const s = settings();
  if (s.build) build();
  const resources: Resources = await createResources();
  const interrupted = async () => {
    await stopAll();
    await resources.remove().catch(() => {});
    process.exit(130);
  };
  process.once("SIGINT", interrupted).once("SIGTERM", interrupted);
  try {
    const receiverPort = await freePort();
    const receiver = {
      child: await startHelper("./webhook-receiver.ts", receiverPort),
      url: `http://127.0.0.1:${receiverPort}/payzero`,
    };
    const machine = await resources.machine();
    console.log(`machine: ${machine}`);
    const figures: Figure[] = [];
    const failures: string[] = [];
    const ctx = { s, resources, receiver, figures, failures };
    const run = async () => {
      if (s.phases.includes("ingest")) await runIngest(ctx);
      if (s.phases.includes("latency")) await runLatency(ctx);
      if (s.phases.includes("burst")) await runBurst(ctx);
      if (s.phases.includes("history")) await runHistory(ctx, s);
      if (s.phases.includes("tracing")) await runTracing(ctx);
      if (s.phases.includes("database")) await runDatabase(ctx);
    };
    await withDeadline(run(), s.deadlineMs, "the bench did not finish");
    printTable(machine, figures, s.short);
    for (const f of failures) console.error(`FAILED: ${f}`);
    return failures.length > 0 ? 1 : 0;
  } finally {
    await stopAll();
    await resources.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
