// Each process opens one Redis connection for its role and shares it: the api process's receiver,
// /v1 routes (webhooks, deliveries, backfills), console and probes all use its producer connection.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionName } from "../../../src/queue/redis.js";
import {
  TEST_ADMIN_TOKEN,
  TEST_ALLOW_ADDRESSES,
  TEST_ENCRYPTION_KEY,
  TEST_SIGN_TOKEN,
} from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type ServiceProcess, startService } from "../../support/processes.js";
import { deleteKeys } from "../../support/redis.js";
import { freePort } from "../../support/redis-server.js";

const prefix = testRedisPrefix();
let database: TestDatabase;
let api: ServiceProcess;
let port: number;
const redis = new Redis(REDIS_URL);

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  api = startService("api", {
    PAYZERO_SIGN_TOKEN: TEST_SIGN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    WEBHOOK_ALLOW_ADDRESSES: TEST_ALLOW_ADDRESSES,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    HOST: "127.0.0.1",
    PORT: String(port),
  });
  await waitFor(
    "the api to answer /readyz",
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200,
    30_000,
  );
}, 40_000);
afterAll(async () => {
  await api?.stop(5000);
  await database?.drop();
  await deleteKeys(REDIS_URL, `${prefix}*`);
  redis.disconnect();
});

/** The names of the Redis connections Redis sees open, one per connection. */
async function connectionNames(): Promise<string[]> {
  const list = String(await redis.client("LIST"));
  return list
    .split("\n")
    .map((line) => /\bname=(\S*)/.exec(line)?.[1] ?? "")
    .filter(Boolean);
}

describe("the api process's Redis connections", () => {
  it("is its one producer connection, whatever routes it served", async () => {
    const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" };
    const at = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: auth });
    const created = await at("/v1/webhooks", {
      method: "POST",
      body: JSON.stringify({ url: "http://127.0.0.1:9/hook", description: "connections" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (const path of ["/v1/webhooks", `/v1/webhooks/${id}`, "/v1/deliveries", "/metrics", "/readyz"])
      expect((await at(path)).status, path).toBe(200);
    const notify = await fetch(`http://127.0.0.1:${port}/payzero/notify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "CONN-1" }))),
    });
    expect(await notify.text()).toBe("OK");

    const own = connectionName("producer", api.child.pid);
    const names = await connectionNames();
    expect(names.filter((n) => n === own)).toHaveLength(1);
    // No other connection of this process: ours are all named after it, BullMQ's after the prefix.
    expect(names.filter((n) => n.endsWith(`:${api.child.pid}`) && n !== own)).toEqual([]);
    expect(names.filter((n) => n.startsWith(`${prefix}:`))).toEqual([]);
  });
});
