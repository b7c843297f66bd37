// Two worker processes on one queue: both apply messages, one is stopped (SIGTERM) while busy, and
// still no message is stored twice, no update lost, every state as derived.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENCRYPTION_KEY, TEST_SIGN_TOKEN } from "../../support/config.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type ServiceProcess, startService } from "../../support/processes.js";

let p: Pipeline;
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  p = await startPipeline();
  const env = {
    PAYZERO_SIGN_TOKEN: TEST_SIGN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    DATABASE_URL: p.database.url,
    REDIS_URL: p.config.redisUrl,
    REDIS_PREFIX: p.config.redisPrefix,
    WORKER_CONCURRENCY: "8",
    // Each process logs a line per message it stores: the test counts who did what.
    LOG_LEVEL: "info",
    PORT: "0",
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
}, 90_000);
afterAll(async () => {
  for (const w of workers) await w.stop();
  await p.close();
});

/** Messages the process stored (its "notification stored" lines; a copy already stored logs otherwise). */
const stored = (w: ServiceProcess) => w.output().split('"msg":"notification stored"').length - 1;

/** A Fisher–Yates shuffle driven by a seeded generator (mulberry32). */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const PAY_FLOW = ["NOT_PAYED", "PAY_APPLIED", "PAY_SMS_CONFIRMED", "PAY_FAILED", "PAY_SUCCEED"];

describe("two worker processes", () => {
  it("both store messages, one stopped while busy, every distinct message stored once, every order in its right state", async () => {
    const orders = 30;
    const envelopes = [];
    for (let o = 0; o < orders; o++) {
      for (const [i, payStatus] of PAY_FLOW.entries()) {
        // PAY_FAILED comes last in time for odd orders: a retry after success must not undo it.
        const ts = 1_000_000 + o * 100 + (payStatus === "PAY_FAILED" && o % 2 === 1 ? 99 : i);
        envelopes.push(
          signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `W-${o}`, payStatus }), ts),
        );
      }
      const declared = orderBody({
        mchtOrderNo: `W-${o}`,
        payStatus: "PAY_SUCCEED",
        declareStatus: "DECLARED",
      });
      envelopes.push(signedEnvelope("DECLARE_STATUS_NOTIFY", declared, 2_000_000 + o));
    }
    // Every message three times, shuffled (seeded: the seed is printed), in concurrent bursts.
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 2 ** 31);
    console.log(`two-workers shuffle seed: ${seed} (TEST_SEED=${seed} repeats it)`);
    const copies = shuffled([...envelopes, ...envelopes, ...envelopes], seed);
    const send = async (part: typeof copies) => {
      for (let i = 0; i < part.length; i += 30) {
        const burst = part.slice(i, i + 30);
        const replies = await Promise.all(
          burst.map((env) => p.app.inject({ method: "POST", url: "/payzero/notify", payload: env })),
        );
        for (const r of replies) expect(r.body).toBe("OK");
      }
    };
    const half = Math.floor(copies.length / 2);
    await send(copies.slice(0, half));
    // The first process to store a message is stopped at once, busy with the first half's backlog;
    // the other then takes what is left and the whole second half.
    const deadline = Date.now() + 30_000;
    while (!workers.some((w) => stored(w) > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const busy = workers.find((w) => stored(w) > 0);
    expect(busy, "a process stored a message").toBeDefined();
    const other = workers.find((w) => w !== busy)!;
    const stopped = busy!.stop(20_000);
    await send(copies.slice(half));
    expect(await stopped, busy!.output().slice(-3000)).toBe(0);
    await p.drained(60_000);

    expect(await p.db.notification.count()).toBe(envelopes.length);
    const all = await p.db.order.findMany();
    expect(all).toHaveLength(orders);
    for (const o of all) {
      expect(o.payStatus).toBe("PAY_SUCCEED");
      expect(o.declareStatus).toBe("DECLARED");
    }
    expect(other.child.exitCode).toBeNull();
    // Each distinct message stored once, by one process or the other; both did some. (Their last log
    // lines may still be in the pipes when the queue is drained.)
    const logsBy = Date.now() + 10_000;
    while (stored(busy!) + stored(other) < envelopes.length && Date.now() < logsBy)
      await new Promise((r) => setTimeout(r, 20));
    expect(stored(busy!) + stored(other)).toBe(envelopes.length);
    expect(stored(busy!)).toBeGreaterThan(0);
    expect(stored(other)).toBeGreaterThan(0);
  }, 90_000);

  it("stop on SIGTERM with exit code 0 (the one left; the other was stopped busy)", async () => {
    for (const w of workers) {
      const code = await w.stop();
      expect(code, `signal ${w.child.signalCode}:\n${w.output().slice(-3000)}`).toBe(0);
    }
  });
});
