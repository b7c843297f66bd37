// A backlog of due deliveries shared by two worker processes (role worker, real processes): each row
// POSTed once, both processes sending some (each counts its attempts in its own log).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEndpoint,
  createHarness,
  type Harness,
  storeNotification,
  waitSettled,
} from "../../support/harness.js";
import { type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

const ROWS = 200;
let h: Harness;
let rx: Receiver;
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  h = await createHarness();
  rx = await startReceiver();
});
afterAll(async () => {
  for (const w of workers) await w.stop(5000);
  await rx?.close();
  await h?.close();
});

const attempts = (w: ServiceProcess) => w.output().split('"msg":"webhook attempt"').length - 1;

describe("two worker processes", () => {
  it("share a backlog of due rows: each row posted once, both posting", async () => {
    await createEndpoint(h.db, { url: rx.url("/shared") });
    // The rows a crashed process committed and never sent (held by nobody alive).
    const idle = h.start({ webhookPollIntervalMs: 60_000 });
    for (let i = 0; i < ROWS; i++)
      await storeNotification(
        h.db,
        idle.fanOut,
        { msgType: "PAY_STATUS_NOTIFY", msgBody: `{"t":"T_SHARED","n":${i}}` },
        false,
      );
    await h.stopWorkers();

    const env = {
      ...serviceEnv(h.config.databaseUrl, h.config.redisPrefix, 0, h.config.redisUrl),
      WEBHOOK_CONCURRENCY: "8",
      WEBHOOK_ENDPOINT_CONCURRENCY: "8",
      WEBHOOK_POLL_INTERVAL_MS: "100",
      LOG_LEVEL: "info",
    };
    workers.push(startService("worker", env), startService("worker", env));
    for (const w of workers) {
      const deadline = Date.now() + 60_000;
      while (!w.output().includes('"msg":"notification worker started"')) {
        if (Date.now() > deadline || w.child.exitCode !== null)
          throw new Error(`worker not started:\n${w.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Both are up and polling: the rows fall due for both at once.
    await h.db.delivery.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    await waitSettled(h.db, 60_000);

    const posted = rx.received.map((r) => String(r.headers["webhook-id"]));
    expect(posted).toHaveLength(ROWS);
    expect(new Set(posted).size).toBe(ROWS);
    // Their last log lines may still be in the pipes when the rows are settled.
    const deadline = Date.now() + 10_000;
    while (workers.map(attempts).reduce((a, b) => a + b) < ROWS && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const made = workers.map(attempts);
    expect(made[0]! + made[1]!).toBe(ROWS);
    expect(
      made.every((n) => n > 0),
      `attempts per process: ${made}`,
    ).toBe(true);
  }, 120_000);
});
