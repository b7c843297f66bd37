// Health probes, metric scrapes and notifications leave no request lines in the logs; other routes
// still do. A notification has one line of its own.
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  waitUntilConnected,
} from "../../src/ingest/queue.js";
import { loggerOptions } from "../../src/ops/logger.js";
import { testConfig } from "../support/config.js";
import { testRedisPrefix } from "../support/db.js";
import { orderBody, signedEnvelope } from "../support/payzero.js";

describe("request logs", () => {
  it("skip /healthz, /readyz and /metrics, and keep the rest", async () => {
    const lines: Array<{ msg?: string; req?: { url?: string } }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const config = testConfig();
    const app = await buildApp({ config, probes: {}, logger: pino(loggerOptions("info"), sink) });
    try {
      for (const url of ["/healthz", "/readyz", "/metrics", "/openapi.json"]) {
        const headers = { authorization: `Bearer ${config.adminToken}` };
        expect((await app.inject({ url, headers })).statusCode).toBe(200);
      }
    } finally {
      await app.close();
    }
    const logged = lines.filter((l) => l.msg === "incoming request").map((l) => l.req?.url);
    expect(logged).toEqual(["/openapi.json"]);
  });
});

describe("the notify route", () => {
  it("logs one line per notification, with its outcome, status and duration, and no request lines", async () => {
    const lines: Array<{ msg?: string; status?: number; durationMs?: number; result?: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const config = testConfig({ redisPrefix: testRedisPrefix() });
    const connection = createProducerConnection(config);
    const queue = createNotificationQueue(connection, config.redisPrefix);
    await waitUntilConnected(connection, 2000);
    const app = await buildApp({
      config,
      notificationQueue: queue,
      probes: {},
      logger: pino(loggerOptions("info"), sink),
    });
    try {
      const envelope = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "LOG-1" }));
      // Two copies at once (the second rides on the first's job: "duplicate"), then a bad sign.
      const post = (payload: object) => app.inject({ method: "POST", url: config.notifyPath, payload });
      await Promise.all([post(envelope), post(envelope)]);
      await post({ ...envelope, sign: "0".repeat(40) });
    } finally {
      await app.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await closeConnection(connection);
    }
    expect(lines.filter((l) => l.msg === "incoming request" || l.msg === "request completed")).toEqual([]);
    const outcomes = lines.filter((l) => l.msg?.startsWith("notification"));
    expect(outcomes.map((l) => [l.msg, l.status, l.result])).toEqual([
      ["notification queued", 200, "accepted"],
      ["notification queued", 200, "duplicate"],
      ["notification refused: bad sign", 401, undefined],
    ]);
    expect(outcomes.every((l) => typeof l.durationMs === "number")).toBe(true);
  });
});
