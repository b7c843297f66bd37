// The webhook stage against real Postgres and a local HTTP receiver; notifications stored like the
// order worker stores them (one transaction, then afterCommit).
import { lookup } from "node:dns";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { Actor } from "../../src/actor.js";
import { buildApiApp } from "../../src/api/app.js";
import type { Config } from "../../src/config.js";
import { keyringOf } from "../../src/crypto/keyring.js";
import { createDb, type Db } from "../../src/db/client.js";
import type { Prisma } from "../../src/generated/prisma/client.js";
import type { FanOut } from "../../src/orders/notification.js";
import { bodyKey, unsignedKey } from "../../src/payzero/envelope.js";
import { isRefusal } from "../../src/refusal.js";
import type { HeldDelivery } from "../../src/webhooks/delivery/delivery-queue.js";
import { webhookDeps } from "../../src/webhooks/deps.js";
import type { DestinationPolicy } from "../../src/webhooks/endpoints/address-rule.js";
import {
  changeEndpoint,
  createEndpoint as createOperation,
} from "../../src/webhooks/endpoints/operations.js";
import { startWebhookWorkers, type WebhookWorkers } from "../../src/webhooks/index.js";
import { TEST_ADMIN_TOKEN, testConfig } from "./config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "./db.js";
import { type Receiver, startReceiver } from "./receiver.js";

export const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export interface Harness {
  db: Db;
  config: Config;
  /** Starts the webhook workers with config overrides (one set at a time). */
  start: (overrides?: Partial<Config>) => WebhookWorkers;
  stopWorkers: () => Promise<void>;
  close: () => Promise<void>;
}

export async function createHarness(base: Partial<Config> = {}): Promise<Harness> {
  const tdb: TestDatabase = await createTestDatabase();
  const config = testConfig({
    redisPrefix: testRedisPrefix(),
    databaseUrl: tdb.url,
    webhookRetrySchedule: [0, 0, 0],
    webhookTimeoutMs: 2000,
    webhookConcurrency: 4,
    webhookPollIntervalMs: 100,
    webhookLeaseGraceMs: 1000,
    ...base,
  });
  const db = createDb(config.databaseUrl);
  let current: WebhookWorkers | undefined;
  const h: Harness = {
    db,
    config,
    start: (overrides = {}) => {
      if (current) throw new Error("stop the running workers first");
      current = startWebhookWorkers({ config: { ...config, ...overrides }, db, log });
      return current;
    },
    stopWorkers: async () => {
      await current?.stop();
      current = undefined;
    },
    close: async () => {
      await h.stopWorkers();
      await db.$disconnect();
      await tdb.drop();
    },
  };
  return h;
}

export interface EndpointSpec {
  url: string;
  msgTypes?: string[];
  payStatuses?: string[];
  declareStatuses?: string[];
  headers?: Record<string, string>;
  enabled?: boolean;
}

/** The tests' keyring (testConfig's ENCRYPTION_KEYS). */
export const testKeyring = keyringOf(testConfig());

/** The id of the key a stored value is sealed with (undefined: plaintext). */
export const sealedWith = (value: string | null) => /^enc:v2:([0-9a-f]{8}):/.exec(value ?? "")?.[1];

/** An endpoint's sealed columns as Postgres holds them. */
export async function rawEndpointRow(db: Db, id: string) {
  const rows = await db.$queryRaw<
    Array<{ secret: string; previousSecret: string | null; headers: string | null }>
  >`
    SELECT secret, previous_secret AS "previousSecret", headers FROM webhook_endpoints WHERE id = ${id}`;
  return rows[0]!;
}

/** Every destination allowed: tests store endpoints the address rule would refuse, to check the send-time check. */
const anyDestination: DestinationPolicy = { refusal: () => undefined, resolve: lookup };

const testActor: Actor = { kind: "system", name: "test" };

/** Stored by the create operation, as the API stores it (secret and headers sealed); answers the row with the secret in plaintext. */
export async function createEndpoint(db: Db, spec: EndpointSpec) {
  const deps = webhookDeps(testConfig(), db, async () => {}, anyDestination);
  const created = await createOperation(deps, testActor, {
    url: spec.url,
    msgTypes: spec.msgTypes?.length ? spec.msgTypes : null,
    payStatus: spec.payStatuses?.length ? spec.payStatuses : null,
    declareStatus: spec.declareStatuses?.length ? spec.declareStatuses : null,
    headers: spec.headers ?? null,
  });
  if (isRefusal(created)) throw new Error(`endpoint not created: ${created.message}`);
  if (spec.enabled === false) await changeEndpoint(deps, testActor, created.id, { enabled: false });
  const row = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: created.id } });
  return { ...row, secret: created.secret };
}

export interface NotificationSpec {
  msgType: string;
  msgBody: string;
  orderAfter?: Prisma.InputJsonObject;
  timestamp?: number;
}

/** Stores a notification and fans it out in one transaction; `dispatch: false` simulates a crash before afterCommit. */
export async function storeNotification(
  db: Db,
  fanOut: FanOut<HeldDelivery[]>,
  spec: NotificationSpec,
  dispatch = true,
) {
  const [stored] = await storeNotifications(db, fanOut, [spec], dispatch);
  return stored!;
}

/** Stores several notifications in one transaction, as one apply batch of the order worker does. */
export async function storeNotifications(
  db: Db,
  fanOut: FanOut<HeldDelivery[]>,
  specs: NotificationSpec[],
  dispatch = true,
) {
  let held: HeldDelivery[] = [];
  const notifications = await db.$transaction(
    async (tx) => {
      const rows = [];
      for (const spec of specs) {
        const row = await tx.notification.create({
          data: {
            contentKey: unsignedKey(spec.msgType, spec.msgBody, BigInt(spec.timestamp ?? 1_554_990_000_000)),
            bodyKey: bodyKey(spec.msgBody),
            msgType: spec.msgType,
            timestamp: BigInt(spec.timestamp ?? 1_554_990_000_000),
            msgBody: spec.msgBody,
            ...(spec.orderAfter && { orderAfter: spec.orderAfter }),
            receivedAt: new Date(),
          },
        });
        rows.push({ ...row, msgBody: spec.msgBody });
      }
      held = await fanOut.inTransaction(
        tx,
        rows.map((row) => ({ ...row, orderAfter: row.orderAfter })),
      );
      return rows;
    },
    // As the order worker's apply transaction: a loaded machine may make it wait for a connection.
    { maxWait: 10_000, timeout: 20_000 },
  );
  if (dispatch) fanOut.afterCommit(held);
  return notifications.map((notification) => ({
    notification,
    deliveryIds: held.filter((d) => d.notification.contentKey === notification.contentKey).map((d) => d.id),
  }));
}

/** Polls until `check` returns a value other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Until every delivery has left `pending`. */
export function waitSettled(db: Db, timeoutMs?: number) {
  return waitFor(
    "deliveries to settle",
    async () => (await db.delivery.count({ where: { status: "pending" } })) === 0,
    timeoutMs,
  );
}

/** The api role's app (buildApiApp, as startApi builds it) on the harness's database; `overrides` of its config. */
export async function buildV1(h: Harness, overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildApiApp({ config: { ...h.config, ...overrides }, db: h.db });
  await app.ready();
  return app;
}

export const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/**
 * A harness and a local receiver for a whole test file; after each test the workers stop, the
 * endpoints go and the received requests are forgotten. Read it in a beforeAll of the file.
 */
export function useHarnessAndReceiver(): { h: Harness; rx: Receiver } {
  const shared = {} as { h: Harness; rx: Receiver };
  beforeAll(async () => {
    shared.h = await createHarness();
    shared.rx = await startReceiver();
  });
  afterEach(async () => {
    await shared.h.stopWorkers();
    await shared.h.db.webhookEndpoint.deleteMany();
    shared.rx.received.length = 0;
  });
  afterAll(async () => {
    await shared.h?.close();
    await shared.rx?.close();
  });
  return shared;
}

/** A loopback port nothing listens on (taken, then freed). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
