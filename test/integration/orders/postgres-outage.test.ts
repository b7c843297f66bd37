// Postgres down, for the receiver and the worker alike: the receiver keeps answering OK and stays ready
// (the api's Kubernetes readiness probe, read from deploy/kubernetes/api.yaml, answers 200), the worker
// retries with backoff and catches up; the /v1 API answers 503 (try again), not 500.
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildApiApp } from "../../../src/api/app.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { startNotificationWorker } from "../../../src/orders/worker.js";
import { createWorkerConnection } from "../../../src/queue/queue.js";
import { queuedMessages } from "../../support/ingest.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.js";

let p: Pipeline;
let proxy: TcpProxy;
let proxiedDb: Db;
/** The api role's app as startApi builds it, its Postgres through the proxy: cut with the worker's. */
let api: FastifyInstance;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  p = await startPipeline();
  proxy = await startTcpProxy(Number(new URL(p.database.url).port || 5432));
  const url = new URL(p.database.url);
  url.port = String(proxy.port);
  proxiedDb = createDb(url.toString(), 4);
  api = await buildApiApp({
    config: p.config,
    db: proxiedDb,
    notificationQueue: p.queue,
    redis: p.connection,
    logger: pino({ level: "silent" }),
  });
  const connection = createWorkerConnection(p.config);
  const worker = startNotificationWorker({
    config: p.config,
    connection,
    db: proxiedDb,
    log: pino({ level: "silent" }),
  });
  stops.push(async () => {
    await api.close();
    await worker.close();
    connection.disconnect();
    await proxiedDb.$disconnect();
    await proxy.close();
  });
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await p.close();
});

/** The path the api Deployment's readiness probe asks (Kubernetes takes the pod out of the Service on a 503). */
function apiReadinessPath(): string {
  const manifests = parseAllDocuments(
    readFileSync(new URL("../../../deploy/kubernetes/api.yaml", import.meta.url), "utf8"),
  ).map((d) => d.toJS());
  const api = manifests.find((m) => m.kind === "Deployment" && m.metadata.name === "payzero-notify-api");
  const path: unknown = api?.spec.template.spec.containers[0].readinessProbe?.httpGet?.path;
  if (typeof path !== "string") throw new Error("api.yaml: the api container has no HTTP readiness probe");
  return path;
}

describe("a Postgres outage", () => {
  it("loses nothing: the receiver answers OK and stays ready throughout, the messages are stored once Postgres is back", async () => {
    const readiness = apiReadinessPath();
    // The receiver's pool has a live connection through the proxy, which the outage then cuts.
    expect((await api.inject({ url: "/v1/orders", headers: p.authorized })).statusCode).toBe(200);
    expect((await api.inject({ url: readiness })).json()).toEqual({
      status: "ok",
      checks: { redis: "ok", postgres: "ok" },
    });
    proxy.down();
    const envelopes = Array.from({ length: 5 }, (_, i) =>
      signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `PG-${i}`, payStatus: "PAY_SUCCEED" })),
    );
    for (const env of envelopes) {
      const res = await api.inject({ method: "POST", url: "/payzero/notify", payload: env });
      expect(res.body).toBe("OK");
      // Ready for the notify path, Postgres named as down: Kubernetes keeps the pod in the Service.
      const ready = await api.inject({ url: readiness });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.redis).toBe("ok");
      expect(ready.json().checks.postgres).not.toBe("ok");
      // Its /v1 is down meanwhile: it answers 503 itself.
      expect((await api.inject({ url: "/v1/orders", headers: p.authorized })).statusCode).toBe(503);
    }
    // Let the worker fail at least once on every job: each message waits in a job for its retry.
    const delayed = async () => (await queuedMessages(p.queue, ["delayed"])).map((m) => m.msgBody).sort();
    const deadline = Date.now() + 10_000;
    while ((await delayed()).length < envelopes.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await delayed()).toEqual(envelopes.map((e) => e.msgBody).sort());
    expect(await p.db.notification.count()).toBe(0);

    // Still answering OK once the worker has failed on every job.
    const late = signedEnvelope(
      "PAY_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: "PG-late", payStatus: "PAY_SUCCEED" }),
    );
    expect((await api.inject({ method: "POST", url: "/payzero/notify", payload: late })).body).toBe("OK");
    envelopes.push(late);

    proxy.up();
    await p.drained(30_000);
    expect(await p.db.notification.count()).toBe(envelopes.length);
    expect(await p.db.order.count({ where: { payStatus: "PAY_SUCCEED" } })).toBe(envelopes.length);
    expect((await p.queue.getJobCounts("failed")).failed).toBe(0);
  });
});

describe("the /v1 API during a Postgres outage", () => {
  it("answers 503 in the one error shape, and logs the error whole with its stack", async () => {
    const lines: Array<{ msg?: string; err?: { stack?: string } }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = await buildApiApp({
      config: p.config,
      db: proxiedDb,
      logger: pino({ level: "error" }, sink),
    });
    proxy.down();
    try {
      const res = await app.inject({ url: "/v1/orders", headers: p.authorized });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        statusCode: 503,
        error: "Service Unavailable",
        message: "database unavailable",
      });
      // And the next request too, whichever way the pool finds Postgres gone.
      const again = await app.inject({ url: "/v1/notifications", headers: p.authorized });
      expect(again.statusCode).toBe(503);
      const logged = lines.filter((l) => l.msg === "request failed: database unavailable");
      expect(logged).toHaveLength(2);
      for (const line of logged) expect(line.err?.stack).toMatch(/\n\s+at /);
      proxy.up();
      expect((await app.inject({ url: "/v1/orders", headers: p.authorized })).statusCode).toBe(200);
    } finally {
      proxy.up();
      await app.close();
    }
  });
});
