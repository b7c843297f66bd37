// Redis in high availability, started by the test itself from /usr/bin/redis-server (or the PATH):
// a master with a replica watched by three Sentinels, or a three-master Cluster. Each server has its
// own free port and a folder in a temp dir; destroy() kills them all and removes the folder.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

interface Server {
  port: number;
  child: ChildProcess;
}

/** Polls `check` until it returns a value (not undefined), or throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${String(last ?? "")})`);
    await sleep(100);
  }
}

/** One command to one server, on a connection of its own that gives up at once. */
export async function ask(port: number, ...args: Array<string | number>): Promise<unknown> {
  const redis = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await redis.call(String(args[0]), ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

class Servers {
  readonly all: Server[] = [];
  constructor(readonly dir: string) {}

  async start(name: string, args: string[], port?: number): Promise<Server> {
    const p = port ?? (await freePort());
    const dir = join(this.dir, name);
    await mkdir(dir, { recursive: true });
    const child = spawn("redis-server", [...args, "--port", String(p), "--bind", "127.0.0.1", "--dir", dir], {
      stdio: "ignore",
    });
    const server = { port: p, child };
    this.all.push(server);
    await waitUntil(`redis-server ${name} on ${p}`, async () =>
      (await ask(p, "PING")) === "PONG" ? true : undefined,
    );
    return server;
  }

  async destroy(): Promise<void> {
    for (const s of this.all) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        const exited = new Promise((resolve) => s.child.once("exit", resolve));
        s.child.kill("SIGKILL");
        await exited;
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

const DATA = ["--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"];

export interface SentinelSetup {
  masterName: string;
  master: Server;
  replica: Server;
  sentinels: Server[];
  /** host:port of the Sentinels, as REDIS_SENTINELS takes them. */
  sentinelList: string;
  /** The port of the master the Sentinels name now. */
  masterPort: () => Promise<number>;
  /** SIGKILL: the master is gone at once, with whatever it had not yet sent to its replica. */
  killMaster: () => Promise<void>;
  /** Starts an empty server on the killed master's port: the Sentinels make it a replica of the new master. */
  restartOldMaster: () => Promise<void>;
  destroy: () => Promise<void>;
}

export async function startSentinelSetup(masterName = "pzn-master"): Promise<SentinelSetup> {
  const servers = new Servers(await mkdtemp(join(tmpdir(), "pzn-sentinel-")));
  try {
    const master = await servers.start("master", DATA);
    const replica = await servers.start("replica", [
      ...DATA,
      "--replicaof",
      "127.0.0.1",
      String(master.port),
    ]);
    await waitUntil("replica in sync", async () => {
      const info = String(await ask(replica.port, "INFO", "replication"));
      return info.includes("master_link_status:up") ? true : undefined;
    });
    const sentinels: Server[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(servers.dir, `sentinel-${i}.conf`);
      await writeFile(
        conf,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      const child = spawn(
        "redis-server",
        [conf, "--sentinel", "--port", String(port), "--bind", "127.0.0.1"],
        {
          stdio: "ignore",
        },
      );
      const s = { port, child };
      servers.all.push(s);
      sentinels.push(s);
    }
    // A failover needs each Sentinel to know the replica and the other Sentinels (they find them by gossip).
    for (const s of sentinels) {
      await waitUntil(`sentinel ${s.port} sees the replica and 2 other sentinels`, async () => {
        const replicas = (await ask(s.port, "SENTINEL", "REPLICAS", masterName)) as unknown[];
        const others = (await ask(s.port, "SENTINEL", "SENTINELS", masterName)) as unknown[];
        return replicas.length === 1 && others.length === 2 ? true : undefined;
      });
    }
    const masterPort = async () => {
      const [, port] = (await ask(sentinels[0]!.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as [
        string,
        string,
      ];
      return Number(port);
    };
    return {
      masterName,
      master,
      replica,
      sentinels,
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
      masterPort,
      killMaster: async () => {
        const exited = new Promise((resolve) => master.child.once("exit", resolve));
        master.child.kill("SIGKILL");
        await exited;
      },
      restartOldMaster: async () => {
        await servers.start("old-master", DATA, master.port);
      },
      destroy: () => servers.destroy(),
    };
  } catch (err) {
    await servers.destroy();
    throw err;
  }
}

export interface ClusterSetup {
  /** The nodes, masters first (redis-cli --cluster create makes the first three masters). */
  nodes: Server[];
  /** host:port of the nodes, as REDIS_CLUSTER_NODES takes them. */
  nodeList: string;
  destroy: () => Promise<void>;
}

/** Three masters sharing the 16384 slots, each with one replica. */
export async function startClusterSetup(): Promise<ClusterSetup> {
  const servers = new Servers(await mkdtemp(join(tmpdir(), "pzn-cluster-")));
  try {
    const nodes: Server[] = [];
    for (let i = 0; i < 6; i++) {
      nodes.push(
        await servers.start(`node-${i}`, [
          ...DATA,
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(servers.dir, `nodes-${i}.conf`),
          "--cluster-node-timeout",
          "2000",
        ]),
      );
    }
    const nodeList = nodes.map((m) => `127.0.0.1:${m.port}`);
    await run("redis-cli", ["--cluster", "create", ...nodeList, "--cluster-replicas", "1", "--cluster-yes"], {
      timeout: 60_000,
    });
    for (const m of nodes) {
      await waitUntil(`cluster state ok on ${m.port}`, async () =>
        String(await ask(m.port, "CLUSTER", "INFO")).includes("cluster_state:ok") ? true : undefined,
      );
    }
    for (const m of nodes.slice(0, 3)) {
      await waitUntil(`a replica in sync with ${m.port}`, async () =>
        /connected_slaves:1[\s\S]*state=online/.test(String(await ask(m.port, "INFO", "replication")))
          ? true
          : undefined,
      );
    }
    return { nodes, nodeList: nodeList.slice(0, 3).join(","), destroy: () => servers.destroy() };
  } catch (err) {
    await servers.destroy();
    throw err;
  }
}

/** A replica of the Redis on `masterPort`, in sync when this resolves. */
export async function startReplicaOf(masterPort: number): Promise<{ destroy: () => Promise<void> }> {
  const servers = new Servers(await mkdtemp(join(tmpdir(), "pzn-replica-")));
  try {
    const replica = await servers.start("replica", [...DATA, "--replicaof", "127.0.0.1", String(masterPort)]);
    await waitUntil("replica in sync", async () =>
      String(await ask(replica.port, "INFO", "replication")).includes("master_link_status:up")
        ? true
        : undefined,
    );
    return { destroy: () => servers.destroy() };
  } catch (err) {
    await servers.destroy();
    throw err;
  }
}
