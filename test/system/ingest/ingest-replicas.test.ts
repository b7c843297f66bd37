// REDIS_MIN_REPLICAS_ACK: no silent downgrade. A master with no replica takes the job, but the
// receiver answers 503 (Payzero resends) until a replica confirms it; then the resend is answered OK.
// (The replica's start waits at most 20 s for its sync, within this test's 60 s: one that never syncs
// is killed there, not left running.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedKey } from "../../../src/payzero/envelope.js";
import { type IngestHarness, queuedMessages, startIngest } from "../../support/ingest.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { ask, startReplicaOf } from "../../support/redis-ha.js";
import { type OwnRedis, startOwnRedis } from "../../support/redis-server.js";

let redis: OwnRedis;
let h: IngestHarness;
let replica: { destroy: () => Promise<void> } | undefined;

beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startIngest({ redisUrl: redis.url, redisMinReplicasAck: 1, enqueueTimeoutMs: 800 });
});
afterAll(async () => {
  await h?.close();
  await replica?.destroy();
  await redis?.destroy();
});

/** WAIT commands the master has run (startReplicaOf runs some to see the replica in sync). */
async function waitCalls(): Promise<number> {
  const info = String(await ask(Number(new URL(redis.url).port), "INFO", "commandstats"));
  return Number(/cmdstat_wait:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe("the replica acknowledgement", () => {
  it("answers 503 while no replica confirms the message, and OK once one does", async () => {
    const envelope = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "WAIT-1" }));
    const alone = await h.app.inject({ method: "POST", url: "/payzero/notify", payload: envelope });
    expect(alone.statusCode).toBe(503);
    expect(alone.body).toBe("unavailable");
    // The master has the job holding it (Redis took it); only the confirmation was missing.
    const key = signedKey(envelope.sign);
    const copies = async () =>
      (await queuedMessages(h.queue, ["waiting"])).filter((m) => m.contentKey === key);
    expect(await copies()).toHaveLength(1);

    replica = await startReplicaOf(Number(new URL(redis.url).port));
    const waitsBefore = await waitCalls();
    const resent = await h.app.inject({ method: "POST", url: "/payzero/notify", payload: envelope });
    expect(resent.statusCode).toBe(200);
    expect(resent.body).toBe("OK");
    // The resend is queued again (copies collapse in Postgres), in a job of its own that WAIT confirmed.
    expect(await copies()).toHaveLength(2);
    expect(await waitCalls()).toBe(waitsBefore + 1);
  }, 60_000);
});
