// Two worker processes on one queue: no message stored twice, no update lost, states as derived.
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
    PORT: "0",
  };
  workers.push(startService("worker", env), startService("worker", env));
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await p.close();
});

const PAY_FLOW = ["NOT_PAYED", "PAY_APPLIED", "PAY_SMS_CONFIRMED", "PAY_FAILED", "PAY_SUCCEED"];

describe("two worker processes", () => {
  it("store every distinct message once and end every order in its right state", async () => {
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
    // Every message three times, shuffled, in concurrent bursts.
    const copies = [...envelopes, ...envelopes, ...envelopes].sort(() => Math.random() - 0.5);
    for (let i = 0; i < copies.length; i += 30) {
      const burst = copies.slice(i, i + 30);
      const replies = await Promise.all(
        burst.map((env) => p.app.inject({ method: "POST", url: "/payzero/notify", payload: env })),
      );
      for (const r of replies) expect(r.body).toBe("OK");
    }
    await p.drained(60_000);

    expect(await p.db.notification.count()).toBe(envelopes.length);
    const all = await p.db.order.findMany();
    expect(all).toHaveLength(orders);
    for (const o of all) {
      expect(o.payStatus).toBe("PAY_SUCCEED");
      expect(o.declareStatus).toBe("DECLARED");
    }
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
    // Copies reach the workers once the first is applied (applied jobs are removed): more work than the default 30 s allow under load.
  }, 90_000);

  it("stop on SIGTERM with exit code 0", async () => {
    for (const w of workers) {
      const code = await w.stop();
      expect(code, `signal ${w.child.signalCode}:\n${w.output().slice(-3000)}`).toBe(0);
    }
  });
});
