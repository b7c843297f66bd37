// Role `all` runs its workers in a worker thread (WORKER_MODE=thread, the default) or a child process
// (WORKER_MODE=process): either way their metrics show on the parent's /metrics and they are restarted
// when they die; a child process never outlives a SIGKILLed parent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { childPids, type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import { deleteKeys } from "../../support/redis.js";
import { freePort } from "../../support/redis-server.js";

const CRASH_HOOK = ["--import", "./test/support/crash-worker-thread.ts"];

function serviceOfMode(mode: "thread" | "process") {
  let database: TestDatabase;
  let port: number;
  let service: ServiceProcess;
  const prefix = testRedisPrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    service = startService(
      "all",
      { ...serviceEnv(database.url, prefix, port), WORKER_MODE: mode },
      mode === "thread" ? CRASH_HOOK : [],
    );
    await until("the service answers", () => http("/healthz").then((r) => r.status === 200), 80_000);
  }, 90_000);
  afterAll(async () => {
    await service.stop(5000);
    await database.drop();
    await deleteKeys(REDIS_URL, `${prefix}*`);
  });

  const http = (path: string, init?: RequestInit) =>
    fetch(`http://127.0.0.1:${port}${path}`, init).catch(() => new Response(null, { status: 599 }));

  /** waitFor, with the service's last output in the error. */
  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 40_000) =>
    waitFor(what, check, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}:\n${service.output().slice(-2000)}`);
    });

  const metricsText = async () => (await http("/metrics")).text();
  const metric = async (name: string) => {
    const text = await metricsText();
    return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "gm"))].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  };
  const processed = () => metric("pzn_notifications_processed_total");
  const restarts = () => metric("pzn_worker_process_restarts_total");

  async function notify(mchtOrderNo: string): Promise<void> {
    const res = await http("/payzero/notify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED" })),
      ),
    });
    expect(await res.text()).toBe("OK");
  }

  return { service: () => service, until, metricsText, processed, restarts, notify };
}

// Under load the thread (tsx compiles its code afresh) and a restart take a while.
const SLOW = { timeout: 120_000 };

describe("the worker thread of role all (WORKER_MODE=thread)", SLOW, () => {
  const s = serviceOfMode("thread");

  it("runs in the service's one process and reports the messages it applied on /metrics", async () => {
    // The thread's own default metrics, labelled apart from the process's (it may take a while to start).
    await s.until("the thread answers for its metrics", async () =>
      (await s.metricsText()).includes('nodejs_heap_size_used_bytes{thread="worker"}'),
    );
    expect(await s.restarts()).toBe(0);
    await s.notify("WT-1");
    await s.until("the thread's counter shows on /metrics", async () => (await s.processed()) === 1);
    expect(childPids(s.service().child.pid!)).toEqual([]);
  });

  it("is restarted after it dies, and goes on applying messages", async () => {
    // The test hook makes the thread throw an uncaught error.
    s.service().child.kill("SIGWINCH");
    await s.until("the thread restarted", async () => (await s.restarts()) === 1);
    // The counter restarts with the new thread: it has applied nothing yet.
    await s.until("the new thread answers for its metrics", async () => (await s.processed()) === 0);
    await s.notify("WT-2");
    await s.until("the new thread applied the message", async () => (await s.processed()) === 1);
    expect(s.service().child.exitCode).toBeNull();
  });
});

describe("the worker process of role all (WORKER_MODE=process)", SLOW, () => {
  const s = serviceOfMode("process");
  /** The pid of the service's worker child. */
  const workerPid = async (): Promise<number | undefined> => childPids(s.service().child.pid!)[0];

  it("reports the messages it applied on the parent's /metrics", async () => {
    expect(await s.restarts()).toBe(0);
    await s.notify("WP-1");
    await s.until("the child's counter shows on /metrics", async () => (await s.processed()) === 1);
  });

  it("is restarted after it dies, and goes on applying messages", async () => {
    const first = await workerPid();
    expect(first).toBeGreaterThan(0);
    process.kill(first!, "SIGKILL");
    await s.until("a new worker process", async () => {
      const pid = await workerPid();
      return pid !== undefined && pid !== first;
    });
    await s.notify("WP-2");
    // The counter restarts with the new process: one message applied since.
    await s.until("the new child applied the message", async () => (await s.processed()) === 1);
    expect(await s.restarts()).toBe(1);
  });

  it("stops when its parent is SIGKILLed", async () => {
    const child = await workerPid();
    // A child to watch: without one, "it is gone" below would hold of nothing.
    expect(child).toBeGreaterThan(0);
    await s.service().kill();
    const alive = () => {
      try {
        process.kill(child!, 0);
        return true;
      } catch {
        return false;
      }
    };
    await s.until("the orphaned worker process exits", async () => !alive(), 25_000);
  });
});
