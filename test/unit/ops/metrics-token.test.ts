// METRICS_TOKEN: set, /metrics asks for it as a bearer token over real HTTP; the probes stay open.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/server.js";
import { TEST_ADMIN_TOKEN, testConfig } from "../../support/config.js";

const TOKEN = "metrics-token-0123456789abcdef";
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  app = await buildApp({ config: testConfig({ metricsToken: TOKEN }), probes: { ok: async () => 1 } });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app.close();
});

const scrape = (headers: Record<string, string> = {}) => fetch(`${base}/metrics`, { headers });

describe("/metrics with METRICS_TOKEN set", () => {
  it.each([
    ["no Authorization", {}],
    ["a wrong token", { authorization: `Bearer ${"x".repeat(TOKEN.length)}` }],
    ["the token with a suffix", { authorization: `Bearer ${TOKEN}x` }],
    ["the token without Bearer", { authorization: TOKEN }],
    ["the /v1 ADMIN_TOKEN", { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }],
  ])("answers 401 without a metric to %s", async (_name, headers) => {
    const res = await scrape(headers);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await res.text()).not.toMatch(/pzn_|process_cpu/);
  });

  it("serves the metrics to the bearer of the token", async () => {
    const res = await scrape({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# TYPE pzn_notifications_received_total counter$/m);
  });

  it("leaves /healthz and /readyz open (the orchestrator's probes carry no token)", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe("/metrics without METRICS_TOKEN", () => {
  it("stays open, as before", async () => {
    const open = await buildApp({ config: testConfig(), probes: {} });
    try {
      const res = await open.inject({ url: "/metrics" });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/pzn_notifications_received_total/);
    } finally {
      await open.close();
    }
  });
});
