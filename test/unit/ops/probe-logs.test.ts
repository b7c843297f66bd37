// Health probes and metric scrapes leave no request lines in the logs; other routes still do (the
// notify route's own line: test/integration/ops/probe-logs.test.ts).
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loggerOptions } from "../../../src/ops/logger.js";
import { buildApp } from "../../../src/server.js";
import { testConfig } from "../../support/config.js";

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
