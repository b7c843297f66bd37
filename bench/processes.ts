// The bench's child processes: the service under test, the bare Fastify baseline, the webhook receiver.
import { type ChildProcess, fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { childPids } from "../test/support/processes.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface Child {
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
}

const running = new Set<Child>();

/** Stops every child still running (the bench's way out, also after a deadline). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop(5000)));
}

function track(child: ChildProcess): Child {
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const tracked: Child = {
    child,
    output: () => output,
    stop: async (graceMs = 25_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(tracked);
  child.once("exit", () => running.delete(tracked));
  return tracked;
}

/** `node [npm start's flags] [nodeArgs] dist/main.js all`: the service as `npm start` runs it (or one role of it). */
export function startService(env: Record<string, string>, nodeArgs: string[] = [], role = "all"): Child {
  const child = spawn(process.execPath, [...startFlags(), ...nodeArgs, "dist/main.js", role], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return track(child);
}

/** A TypeScript helper of bench/ in its own process; resolves once it says it is ready. */
export async function startHelper(file: string, port: number, timeoutMs = 20_000): Promise<Child> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx"],
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const tracked = track(child);
  await withDeadline(nextMessage(child, "ready"), timeoutMs, `${file} did not start`);
  return tracked;
}

export function nextMessage<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (msg: T) => {
      if (msg?.type !== type) return;
      child.off("message", onMessage);
      resolve(msg);
    };
    child.on("message", onMessage);
  });
}

export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process and its children in bytes (Linux), or null once it is gone. */
function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (!match) return null;
    return Number(match[1]) * 1024 + childPids(pid).reduce((sum, c) => sum + (rssBytes(c) ?? 0), 0);
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function sampleRss(pid: number, everyMs = 100): { stop: () => number } {
  let peak = rssBytes(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid) ?? 0);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid) ?? 0);
    },
  };
}

/** Polls `url` until it answers 2xx. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child && child.child.exitCode !== null) throw new Error(`exited early:\n${child.output()}`);
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready within ${timeoutMs / 1000} s${child ? `:\n${child.output()}` : ""}`);
}

/** The node options of `npm start` (package.json), so the bench measures the heap the service ships with. */
export function startFlags(): string[] {
  const scripts = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")).scripts as Record<string, string>;
  const flags = /\bnode ((?:--\S+ )*)dist\/main\.js all$/.exec(scripts.start ?? "")?.[1];
  if (flags === undefined)
    throw new Error(`npm start is not "… node [--flags] dist/main.js all": ${scripts.start}`);
  return flags.split(" ").filter(Boolean);
}
