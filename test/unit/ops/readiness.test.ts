// /readyz answers for what the listener needs: a failing needed probe is a 503, a failing reported one
// (the receiver's Postgres) is named in the answer and leaves it 200. The api role's own choice, Redis
// needed and Postgres reported, is checked against a real Postgres outage in
// test/integration/orders/postgres-outage.test.ts.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../../src/server.js";
import { testConfig } from "../../support/config.js";

const up = async () => "PONG";
const down = async () => {
  throw new Error("connect ECONNREFUSED");
};

async function readyz(deps: Pick<Parameters<typeof buildApp>[0], "probes" | "reportedProbes">) {
  const app = await buildApp({ config: testConfig(), ...deps });
  try {
    const res = await app.inject({ url: "/readyz" });
    return { status: res.statusCode, body: res.json() };
  } finally {
    await app.close();
  }
}

describe("/readyz", () => {
  it("is 200 while every needed probe answers, naming a reported one that fails", async () => {
    expect(await readyz({ probes: { redis: up }, reportedProbes: { postgres: down } })).toEqual({
      status: 200,
      body: { status: "ok", checks: { redis: "ok", postgres: "connect ECONNREFUSED" } },
    });
  });

  it("is 503 when a needed probe fails, whatever the reported ones say", async () => {
    expect(await readyz({ probes: { redis: down }, reportedProbes: { postgres: up } })).toEqual({
      status: 503,
      body: { status: "unavailable", checks: { redis: "connect ECONNREFUSED", postgres: "ok" } },
    });
    expect((await readyz({ probes: { postgres: down, redis: up } })).status).toBe(503);
  });
});
