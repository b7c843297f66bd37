// Health probes, metric scrapes and notifications leave no request lines in the logs; other routes
// still do. A notification has one line of its own. Errors (a failing probe, a route's fault) are
// logged whole, with their stack.
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loggerOptions } from "../../../src/ops/logger.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  waitUntilConnected,
} from "../../../src/queue/queue.js";
import { buildApp } from "../../../src/server.js";
import { TEST_ADMIN_TOKEN, testConfig } from "../../support/config.js";
import { testRedisPrefix } from "../../support/db.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";

describe("a failing readiness probe", () => {
  it("is logged with its error whole (stack too), once per probe that failed", async () => {
    const lines: Array<{ msg?: string; probe?: string; err?: { message?: string; stack?: string } }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = await buildApp({
      config: testConfig(),
      probes: { redis: async () => "PONG", postgres: () => Promise.reject(new Error("connection refused")) },
      logger: pino(loggerOptions("info"), sink),
    });
    try {
      const res = await app.inject({ url: "/readyz" });
      expect(res.statusCode).toBe(503);
      // Why only to a caller with a token: a driver's error names hosts and addresses.
      expect(res.json()).toEqual({ status: "unavailable", checks: { redis: "ok", postgres: "unavailable" } });
      const withToken = await app.inject({
        url: "/readyz",
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(withToken.json()).toEqual({
        status: "unavailable",
        checks: { redis: "ok", postgres: "connection refused" },
      });
    } finally {
      await app.close();
    }
    const failed = lines.filter((l) => l.msg === "readiness probe failed");
    // Once per request (two were made), whoever asked.
    expect(failed.map((l) => [l.probe, l.err?.message])).toEqual([
      ["postgres", "connection refused"],
      ["postgres", "connection refused"],
    ]);
    expect(failed[0]!.err?.stack).toMatch(/\n\s+at /);
  });
});

describe("an unexpected error in a route", () => {
  it("is answered 500 in the one error shape without its message, and logged whole", async () => {
    const lines: Array<{ msg?: string; err?: { message?: string; stack?: string } }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = await buildApp({
      config: testConfig(),
      probes: {},
      logger: pino(loggerOptions("info"), sink),
      plugins: [
        async (scope) => {
          scope.get("/boom", async () => {
            throw new Error("relation secret_table does not exist");
          });
        },
      ],
    });
    try {
      const res = await app.inject({ url: "/boom" });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        statusCode: 500,
        error: "Internal Server Error",
        message: "internal error",
      });
    } finally {
      await app.close();
    }
    const failed = lines.filter((l) => l.msg === "request failed");
    expect(failed.map((l) => l.err?.message)).toEqual(["relation secret_table does not exist"]);
    expect(failed[0]!.err?.stack).toMatch(/\n\s+at /);
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
