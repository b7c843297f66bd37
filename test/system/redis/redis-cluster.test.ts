// The pipeline on a Redis Cluster (three masters, one replica each): the receiver, the worker and the
// webhook stage work end to end with a hash-tagged prefix, all of a queue's keys live on one node, and
// the replica acknowledgement (WAIT) is asked of that node, the one that took the writes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPorts } from "../../../src/config.js";
import { testRedisPrefix } from "../../support/db.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { ask, type ClusterSetup, startClusterSetup, waitUntil } from "../../support/redis-ha.js";

const ORDERS = 30;

let cluster: ClusterSetup;
let p: Pipeline;
let receiver: Receiver;

beforeAll(async () => {
  cluster = await startClusterSetup();
  receiver = await startReceiver();
  p = await startPipeline({
    redisClusterNodes: hostPorts(cluster.nodeList),
    redisPrefix: `{${testRedisPrefix()}}`,
    redisMinReplicasAck: 1,
    webhookPollIntervalMs: 200,
  });
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  const res = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url("/erp") },
  });
  expect(res.statusCode).toBe(201);
}, 120_000);

afterAll(async () => {
  await p?.close();
  await receiver?.close();
  await cluster?.destroy();
});

/** Calls of `command` a node has run since it started. */
async function calls(port: number, command: string): Promise<number> {
  const stats = String(await ask(port, "INFO", "commandstats"));
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

describe("Redis Cluster", () => {
  it("receives, stores and forwards every notification with the queue's keys in one slot", async () => {
    const envelopes = [];
    for (let o = 0; o < ORDERS; o++) {
      const body = orderBody({ mchtOrderNo: `CLUSTER-${o}`, payStatus: "PAY_SUCCEED" });
      envelopes.push(signedEnvelope("PAY_STATUS_NOTIFY", body, 1000 + o));
    }
    // Sent together, so the receiver batches them (one job and one WAIT per batch), and once alone.
    const answers = await Promise.all(
      envelopes.map((payload) => p.app.inject({ method: "POST", url: "/payzero/notify", payload })),
    );
    expect(answers.map((r) => r.body)).toEqual(envelopes.map(() => "OK"));
    const again = await p.app.inject({ method: "POST", url: "/payzero/notify", payload: envelopes[0] });
    expect(again.body).toBe("OK");

    await p.drained(60_000);
    await waitUntil(
      "all forwarded",
      async () =>
        (await p.db.delivery.count({ where: { status: "succeeded" } })) >= ORDERS ? true : undefined,
      60_000,
    );
    expect(await p.db.notification.count()).toBe(ORDERS);
    const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
    expect(ids).toHaveLength(ORDERS);
    expect(new Set(ids).size).toBe(ORDERS);

    // The queue's keys are on one master, and the WAITs went to that master only.
    const masters = cluster.nodes.slice(0, 3);
    const keysOn = await Promise.all(masters.map(async (m) => Number(await ask(m.port, "DBSIZE"))));
    const waitsOn = await Promise.all(masters.map((m) => calls(m.port, "wait")));
    const holder = keysOn.findIndex((n) => n > 0);
    expect(keysOn.filter((n) => n > 0)).toHaveLength(1);
    expect(waitsOn[holder]).toBeGreaterThan(0);
    expect(waitsOn.filter((n) => n > 0)).toHaveLength(1);
  }, 180_000);
});
