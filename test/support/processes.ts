// The service as real child processes (`src/main.ts <role>`), for multi-process and crash tests.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TEST_ALLOW_ADDRESSES, TEST_ENCRYPTION_KEY, TEST_SIGN_TOKEN } from "./config.js";
import { REDIS_URL } from "./env.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop: (graceMs?: number) => Promise<number | null>;
  /** SIGKILL to the parent only (`all`: its worker child notices and stops in order). */
  kill: () => Promise<void>;
  /**
   * A crash: SIGKILL to every process of the service at once (`all`: the worker child too, which then
   * stops nothing in order); resolves with their pids once all are gone.
   */
  crash: () => Promise<number[]>;
}

/** The environment of a service on `port` against this database and Redis prefix (shared Redis by default). */
export function serviceEnv(databaseUrl: string, redisPrefix: string, port: number, redisUrl = REDIS_URL) {
  return {
    PAYZERO_SIGN_TOKEN: TEST_SIGN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    WEBHOOK_ALLOW_ADDRESSES: TEST_ALLOW_ADDRESSES,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    HOST: "127.0.0.1",
    PORT: String(port),
  };
}

/** `nodeArgs`: more options for node (`--import` a test hook, say). */
export function startService(
  role: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...nodeArgs, "src/main.ts", role], {
    cwd: ROOT,
    // A clean environment: the service sees the settings the test gives it and nothing of the test
    // runner's (a setting exported in the shell running the tests would change what is tested).
    env: { ...systemEnv(), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
    crash: async () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return [];
      const pids = processTree(child.pid);
      // Deepest first: the parent, killed last, never sees its child die (and never restarts it).
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await exited;
      await waitGone(pids, 10_000);
      return pids;
    },
  };
}

/** What a process needs of the environment to run at all, whatever the test runner's holds. */
function systemEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"];
  return Object.fromEntries(
    keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])),
  );
}

/** `pid` and its descendants, deepest first. */
function processTree(pid: number): number[] {
  return [...childPids(pid).flatMap(processTree), pid];
}

/** Resolves once none of `pids` runs (a zombie waiting for its reaper counts as gone). */
async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const running = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (pids.some(running)) {
    if (Date.now() > deadline) throw new Error(`still running after SIGKILL: ${pids.filter(running)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A process's children (Linux): npm start's service is the receiver and its worker child. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
