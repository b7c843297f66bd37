// CPU seconds (user + system, /proc/<pid>/stat) spent by the service's processes, the Postgres
// backends of the bench's database and the Redis server over a stretch of the bench. Sampled every
// 200 ms, so a backend that comes and goes in between is counted up to its last sample. Redis is
// the server the bench was given: whatever else uses it at the same time is counted too.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import pg from "pg";
import { childPids } from "../test/support/processes.js";

type CpuPart = "service" | "postgres" | "redis";
export type CpuSeconds = Record<CpuPart | "total", number>;

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  return ticks;
}

/** utime + stime of one process in seconds, or null once it is gone. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return null;
  }
}

function processTree(pid: number): number[] {
  return [pid, ...childPids(pid).flatMap(processTree)];
}

export interface CpuTargets {
  /** The service's main process (its worker child and any other descendant count too). */
  servicePid: number;
  /** A connection to any other database of the server (its own backend is then not counted). */
  pgAdminUrl: string;
  database: string;
  redisUrl: string;
}

interface Seen {
  part: CpuPart;
  first: number;
  last: number;
}

/** Starts counting now; `stop` answers the seconds spent since, by part. */
export async function startCpuMeter(
  t: CpuTargets,
  everyMs = 200,
): Promise<{ stop: () => Promise<CpuSeconds> }> {
  const admin = new pg.Client({ connectionString: t.pgAdminUrl });
  await admin.connect();
  const redis = new Redis(t.redisUrl, { maxRetriesPerRequest: 1 });
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
  redis.disconnect();
  const seen = new Map<number, Seen>();
  const backends = async () =>
    (
      await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [t.database])
    ).rows.map((r) => r.pid);
  /** A process first seen after the start was started after it: its whole CPU time counts. */
  const sample = async (starting: boolean) => {
    const parts: Array<[CpuPart, number[]]> = [
      ["service", processTree(t.servicePid)],
      ["postgres", await backends()],
      ["redis", Number.isFinite(redisPid) ? [redisPid] : []],
    ];
    for (const [part, pids] of parts) {
      for (const pid of pids) {
        const now = processCpuSeconds(pid);
        if (now === null) continue;
        const known = seen.get(pid);
        if (known) known.last = now;
        else seen.set(pid, { part, first: starting ? now : 0, last: now });
      }
    }
  };
  await sample(true);
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(() => sample(false)).catch(() => {});
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await sampling;
      await sample(false);
      await admin.end();
      const spent: CpuSeconds = { service: 0, postgres: 0, redis: 0, total: 0 };
      for (const s of seen.values()) spent[s.part] += s.last - s.first;
      spent.total = spent.service + spent.postgres + spent.redis;
      return spent;
    },
  };
}

/**
 * "4.10 ms (service 2.60 / Postgres 1.10 / Redis 0.40)": CPU per forwarded message. When fewer than
 * the `sent` were forwarded (a deadline passed), it says so: the figure is then a lower bound.
 */
export function perMessage(spent: CpuSeconds, forwarded: number, sent: number): string {
  const ms = (s: number) => ((1000 * s) / Math.max(forwarded, 1)).toFixed(2);
  const cut = forwarded < sent ? `, only ${forwarded} of ${sent} forwarded: at least` : "";
  return `${ms(spent.total)} ms (service ${ms(spent.service)} / Postgres ${ms(spent.postgres)} / Redis ${ms(spent.redis)}${cut})`;
}
