// A Redis server of the test's own (its own port and data folder), so a test can stop and restart
// Redis without touching the machine's shared one. AOF with fsync on every write, as production should.
// redis-server from the PATH; where there is none, a redis:7 container (test/support/containers.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { ownRedisKind, startRedisContainer } from "./containers.js";

export interface OwnRedis {
  url: string;
  start: () => Promise<void>;
  /** SIGTERM: Redis writes its AOF and exits, as in an orderly restart. */
  stop: () => Promise<void>;
  /** SIGSTOP: connections stay open and take commands, and nothing is answered (a hung Redis). */
  freeze: () => Promise<void>;
  /** SIGCONT: answers what it was sent meanwhile. */
  thaw: () => Promise<void>;
  destroy: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** `extraArgs`: further redis-server options (e.g. `--maxmemory 24mb`); redis-server from the PATH only. */
export async function startOwnRedis(extraArgs: string[] = []): Promise<OwnRedis> {
  if (ownRedisKind() === "container") {
    if (extraArgs.length > 0) throw new Error("redis-server options need redis-server on the PATH");
    return startContainerRedis();
  }
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "pzn-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
  args.push(
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--maxmemory-policy",
    "noeviction",
    ...extraArgs,
  );
  // A replica a test attaches syncs at once, not after the 5 s Redis waits by default for others.
  args.push("--repl-diskless-sync-delay", "0");
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  const own: OwnRedis = {
    url,
    start: async () => {
      child = spawn("redis-server", args, { stdio: "ignore" });
      await waitForPing(url);
    },
    stop: async () => {
      const c = child;
      if (!c || c.exitCode !== null) return;
      c.kill("SIGCONT");
      const exited = new Promise((resolve) => c.once("exit", resolve));
      c.kill("SIGTERM");
      await exited;
      child = null;
    },
    freeze: async () => {
      child?.kill("SIGSTOP");
    },
    thaw: async () => {
      child?.kill("SIGCONT");
    },
    destroy: async () => {
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}

async function startContainerRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const container = await startRedisContainer(port);
  const url = `redis://${container.host}:${port}`;
  await waitForPing(url);
  return {
    url,
    start: async () => {
      await container.start();
      await waitForPing(url);
    },
    stop: container.stop,
    freeze: container.pause,
    thaw: container.unpause,
    destroy: container.remove,
  };
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on("error", () => {});
    try {
      await redis.connect();
      if ((await redis.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis on ${url} did not start`);
      await sleep(50);
    } finally {
      redis.disconnect();
    }
  }
}
