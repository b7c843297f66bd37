// ADMIN_PORT splits the api role in two listeners: the public one (what Payzero must reach) answers
// the notify path and /healthz only; the console, /v1, the docs, /metrics and /readyz are on the admin
// one. Real HTTP on both ports, as startApi listens (buildApiListeners).
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiListeners } from "../../../src/api/app.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { type IngestHarness, startIngest } from "../../support/ingest.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";

let database: TestDatabase;
let db: Db;
let ingest: IngestHarness;
let admin: FastifyInstance;
let publicBase: string;
let adminBase: string;

const baseOf = (app: FastifyInstance) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 2);
  ingest = await startIngest(
    { databaseUrl: database.url, adminPort: 0, apiDocs: "public" },
    async (parts) => {
      const listeners = await buildApiListeners({ ...parts, db });
      admin = listeners.admin!;
      return listeners.public;
    },
  );
  await ingest.app.listen({ host: "127.0.0.1", port: 0 });
  await admin.listen({ host: "127.0.0.1", port: 0 });
  publicBase = baseOf(ingest.app);
  adminBase = baseOf(admin);
});
afterAll(async () => {
  await admin?.close();
  await ingest?.close();
  await db?.$disconnect();
  await database?.drop();
});

const authorized = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const ADMIN_DOORS = [
  "/console",
  "/console/login",
  "/v1/orders",
  "/docs",
  "/openapi.json",
  "/metrics",
  "/readyz",
];

describe("ADMIN_PORT", () => {
  it("leaves the public port the notify path and /healthz: 404 for everything else, token or not", async () => {
    for (const path of ADMIN_DOORS) {
      expect((await fetch(`${publicBase}${path}`)).status, path).toBe(404);
      expect((await fetch(`${publicBase}${path}`, { headers: authorized })).status, path).toBe(404);
    }
    expect((await fetch(`${publicBase}/healthz`)).status).toBe(200);
    const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "L-1" }));
    const notify = await fetch(`${publicBase}/payzero/notify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(env),
    });
    expect(notify.status).toBe(200);
    expect(await notify.text()).toBe("OK");
  });

  it("serves the console, /v1, the docs, /metrics and /readyz on the admin port, and no receiver", async () => {
    expect((await fetch(`${adminBase}/v1/orders`, { headers: authorized })).status).toBe(200);
    expect((await fetch(`${adminBase}/v1/orders`)).status).toBe(401);
    expect((await fetch(`${adminBase}/console/login`)).status).toBe(200);
    expect((await fetch(`${adminBase}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${adminBase}/docs`, { redirect: "manual" })).status).toBeLessThan(400);
    expect((await fetch(`${adminBase}/metrics`)).status).toBe(200);
    expect((await fetch(`${adminBase}/readyz`)).status).toBe(200);
    expect((await fetch(`${adminBase}/healthz`)).status).toBe(200);
    const notify = await fetch(`${adminBase}/payzero/notify`, { method: "POST", body: "{}" });
    expect(notify.status).toBe(404);
  });
});
