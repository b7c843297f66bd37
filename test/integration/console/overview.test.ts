// The overview over the real pipeline: what the receiver answered, lag, queue, deliveries, endpoints.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { memorySessionStore } from "../../../src/console/session.js";
import { loggerOptions } from "../../../src/ops/logger.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
} from "../../../src/queue/queue.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import type { Pipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { standalone } from "../../support/redis.js";
import { type Browserish, signIn, startConsolePipeline } from "./support.js";

let p: Pipeline;
let receiver: Receiver;
let b: Browserish;

const row = (body: string, label: string) =>
  new RegExp(`<th scope="row">${label}</th><td class="num">([^<]*)</td><td class="num">([^<]*)</td>`)
    .exec(body)
    ?.slice(1);

beforeAll(async () => {
  p = await startConsolePipeline();
  receiver = await startReceiver();
  receiver.on("/down", () => ({ status: 500 }));
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  const created = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url("/down"), description: "always down" },
  });
  expect(created.statusCode).toBe(201);
  const send = (payload: object) => p.app.inject({ method: "POST", url: "/payzero/notify", payload });
  const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "OV-1" }), 5000);
  // Two copies at once: the second rides on the first's job ("duplicate"); a copy sent later is
  // "accepted" again by the receiver and collapses in Postgres (one stored, below).
  expect((await Promise.all([send(env), send(env)])).map((r) => r.body)).toEqual(["OK", "OK"]);
  expect((await send({ ...env, sign: "0".repeat(40) })).statusCode).toBe(401);
  expect((await send({ ...env, msgBody: 42 })).statusCode).toBe(400);
  await p.drained();
  for (;;) {
    if ((await p.db.delivery.count({ where: { status: "failed" } })) === 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  b = await signIn(p.app);
});
afterAll(async () => {
  await p.close();
  await receiver.close();
});

describe("the overview", () => {
  it("counts what the receiver answered, in the last hour and day", async () => {
    const res = await b.get("/console");
    expect(res.statusCode).toBe(200);
    expect(row(res.body, "accepted")).toEqual(["1", "1"]);
    expect(row(res.body, "duplicate")).toEqual(["1", "1"]);
    expect(row(res.body, "bad sign")).toEqual(["1", "1"]);
    expect(row(res.body, "refused \\(bad request\\)")).toEqual(["1", "1"]);
    expect(row(res.body, "unavailable \\(503\\)")).toEqual(["0", "0"]);
  });

  it("shows processing lag, queue depth, deliveries and the failing endpoint", async () => {
    const body = (await b.get("/console")).body;
    expect(row(body, "stored")).toEqual(["1", "1"]);
    expect(row(body, "median lag")?.[0]).toMatch(/^\d+(\.\d)? m?s$/);
    expect(body).toMatch(/0 waiting · 0 active · 0 delayed \(retrying\) · 0 failed/);
    expect(row(body, "attempts failed")).toEqual(["2", "2"]);
    expect(row(body, "deliveries given up \\(failed\\)")).toEqual(["1", "1"]);
    expect(body).toContain("always down");
    expect(body).toMatch(/failing since/);
    expect(body).toContain('<svg class="chart"');
    expect(body).toContain("Off: <code>PAYZERO_API_URL</code>");
  });
});

describe("the overview with Redis silent", () => {
  it("still answers, saying which parts Redis did not give, and logs each failure whole", async () => {
    const lines: Array<{ msg?: string; err?: { stack?: string } }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const dead = createProducerConnection(standalone("redis://127.0.0.1:1"));
    dead.on("error", () => {});
    const queue = createNotificationQueue(dead, "pzn-test-dead");
    const app = await buildApiApp({
      config: {
        ...p.config,
        payzeroApi: {
          url: "http://127.0.0.1:1",
          appId: "a",
          appKey: "k",
          queryPaths: ["/order/queryOrder"],
        },
      },
      db: p.db,
      notificationQueue: queue,
      redis: dead,
      logger: pino(loggerOptions("warn"), sink),
      // Sessions live in Redis too: signing in needs it, so this app keeps them in memory.
      console: { sessionStore: memorySessionStore() },
    });
    try {
      const cookie = (await signIn(app)).cookie;
      lines.length = 0; // signing in showed the overview once already
      const res = await app.inject({ url: "/console", headers: { cookie } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain("Redis did not answer: no counts.");
      expect(res.body.match(/Redis did not answer\./g)).toHaveLength(2);
      expect(row(res.body, "stored")).toEqual(["1", "1"]);
      // The flush, the two series, the queue depth and the reconciler's runs.
      const failures = lines.filter((l) => l.msg === "console: Redis did not answer");
      expect(failures).toHaveLength(5);
      for (const line of failures) expect(line.err?.stack).toMatch(/\n\s+at /);
    } finally {
      await app.close();
      await queue.close().catch(() => {});
      await closeConnection(dead);
    }
  });
});
