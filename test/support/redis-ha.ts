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
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

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

/**
 * The replica has the master's data and acknowledges its writes: a write on the master, then WAIT on
 * the same connection, counts it (what the receiver's WAIT will need of it).
 */
async function inSync(masterPort: number, replicaPort: number): Promise<boolean> {
  if (!String(await ask(replicaPort, "INFO", "replication")).includes("master_link_status:up")) return false;
  const master = new Redis({
    port: masterPort,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  master.on("error", () => {});
  try {
    await master.connect();
    await master.set("pzn-test:replica-probe", String(Date.now()));
    return (await master.wait(1, 500)) >= 1;
  } finally {
    master.disconnect();
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

// A replica's full sync starts at once (Redis waits 5 s by default for more replicas to share a
// diskless transfer): a test waiting for "in sync" waits for the sync, not for that delay.
const DATA = [
  "--save",
  "",
  "--appendonly",
  "no",
  "--maxmemory-policy",
  "noeviction",
  "--repl-diskless-sync-delay",
  "0",
];

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
  /**
   * Cuts the replica's link to the master (it replicates through a proxy): what the master takes from
   * then on never reaches the replica. Resolves once the master counts no replica.
   */
  cutReplication: () => Promise<void>;
  destroy: () => Promise<void>;
}

export async function startSentinelSetup(masterName = "pzn-master"): Promise<SentinelSetup> {
  const servers = new Servers(await mkdtemp(join(tmpdir(), "pzn-sentinel-")));
  let link: TcpProxy | undefined;
  try {
    const master = await servers.start("master", DATA);
    link = await startTcpProxy(master.port);
    const replica = await servers.start("replica", [...DATA, "--replicaof", "127.0.0.1", String(link.port)]);
    await waitUntil("replica in sync", async () =>
      (await inSync(master.port, replica.port)) ? true : undefined,
    );
    const sentinels: Server[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(servers.dir, `sentinel-${i}.conf`);
      await writeFile(
        conf,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          // Also how long a Sentinel leaves a replica that names another master address (the replica
          // replicates through the proxy) before it points it at the master itself: longer than a test.
          `sentinel failover-timeout ${masterName} 120000`,
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
      cutReplication: async () => {
        link?.down();
        await waitUntil("the master counts no replica", async () =>
          String(await ask(master.port, "INFO", "replication")).includes("connected_slaves:0")
            ? true
            : undefined,
        );
      },
      destroy: async () => {
        await link?.close();
        await servers.destroy();
      },
    };
  } catch (err) {
    await link?.close();
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
    // Well within a test's timeout, so a replica that never syncs is killed here (the catch below)
    // rather than left running after the test gave up.
    await waitUntil(
      "replica in sync",
      async () => ((await inSync(masterPort, replica.port)) ? true : undefined),
      20_000,
    );
    return { destroy: () => servers.destroy() };
  } catch (err) {
    await servers.destroy();
    throw err;
  }
}
