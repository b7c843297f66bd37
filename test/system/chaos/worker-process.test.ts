// Role `all` runs its workers in a child process: its metrics show on the parent's /metrics, it is
// restarted when it dies, and it never outlives a SIGKILLed parent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { childPids, type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import { deleteKeys } from "../../support/redis.js";
import { freePort } from "../../support/redis-server.js";

let database: TestDatabase;
let port: number;
let service: ServiceProcess;
const prefix = testRedisPrefix();

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  service = startService("all", serviceEnv(database.url, prefix, port));
  await until("the service answers", () => http("/healthz").then((r) => r.status === 200));
}, 60_000);
afterAll(async () => {
  await service.stop(5000);
  await database.drop();
  await deleteKeys(REDIS_URL, `${prefix}*`);
});

const http = (path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${port}${path}`, init).catch(() => new Response(null, { status: 599 }));

/** waitFor, with the service's last output in the error. */
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) =>
  waitFor(what, check, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}:\n${service.output().slice(-2000)}`);
  });

/** The pid of the service's worker child. */
const workerPid = async (): Promise<number | undefined> => childPids(service.child.pid!)[0];

const processed = async () => {
  const text = await (await http("/metrics")).text();
  return [...text.matchAll(/^pzn_notifications_processed_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
};

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

describe("the worker process of role all", () => {
  it("reports the messages it applied on the parent's /metrics", async () => {
    expect(await (await http("/metrics")).text()).toMatch(/^pzn_worker_process_restarts_total 0$/m);
    await notify("WP-1");
    await until("the child's counter shows on /metrics", async () => (await processed()) === 1);
  });

  it("is restarted after it dies, and goes on applying messages", async () => {
    const first = await workerPid();
    expect(first).toBeGreaterThan(0);
    process.kill(first!, "SIGKILL");
    await until("a new worker process", async () => {
      const pid = await workerPid();
      return pid !== undefined && pid !== first;
    });
    await notify("WP-2");
    // The counter restarts with the new process: one message applied since.
    await until("the new child applied the message", async () => (await processed()) === 1);
    const text = await (await http("/metrics")).text();
    expect(text).toMatch(/^pzn_worker_process_restarts_total 1$/m);
  });

  it("stops when its parent is SIGKILLed", async () => {
    const child = await workerPid();
    // A child to watch: without one, "it is gone" below would hold of nothing.
    expect(child).toBeGreaterThan(0);
    await service.kill();
    const alive = () => {
      try {
        process.kill(child!, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until("the orphaned worker process exits", async () => !alive(), 25_000);
  });
});
