// Issue #15 part 1, at start: a missing or wrong ENCRYPTION_KEYS stops the service process with a clear
// message, and migrate seals the plaintext secrets of an install from before sealing (the service's
// processes against real Postgres; sealing and rotation: test/integration/webhooks/sealing.test.ts).
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { beforeAll, describe, expect, it } from "vitest";
import { keyId, keyringOf } from "../../../src/crypto/keyring.js";
import { generateSecret } from "../../../src/webhooks/endpoints/secret.js";
import { TEST_ENCRYPTION_KEY } from "../../support/config.js";
import {
  auth,
  buildV1,
  freePort,
  type Harness,
  rawEndpointRow,
  sealedWith,
  useHarnessAndReceiver,
  waitFor,
} from "../../support/harness.js";
import { type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import type { Receiver } from "../../support/receiver.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
let app: FastifyInstance;
beforeAll(async () => {
  ({ h, rx } = shared);
  app = await buildV1(h);
  return () => app.close();
});

const OLD = Buffer.from(TEST_ENCRYPTION_KEY, "base64");

const rawRow = (id: string) => rawEndpointRow(h.db, id);

describe("start-up", () => {
  const exited = async (service: ServiceProcess) => {
    try {
      await waitFor("the process to exit", async () => service.child.exitCode !== null, 60_000);
      return { code: service.child.exitCode, output: service.output() };
    } finally {
      await service.kill();
    }
  };
  const env = async (extra: Record<string, string>) => ({
    ...serviceEnv(h.config.databaseUrl, h.config.redisPrefix, await freePort()),
    ...extra,
  });

  it("refuses to start without ENCRYPTION_KEYS, and with keys that cannot open what is stored", async () => {
    const missing = await exited(startService("worker", await env({ ENCRYPTION_KEYS: "" })));
    expect(missing.code, missing.output).toBe(1);
    expect(missing.output).toContain("ENCRYPTION_KEYS is required");
    expect(missing.output).toContain("openssl rand -base64 32");

    const malformed = await exited(startService("api", await env({ ENCRYPTION_KEYS: "not-a-key" })));
    expect(malformed.code, malformed.output).toBe(1);
    expect(malformed.output).toContain("ENCRYPTION_KEYS key 1 is not base64 of 32 bytes");
    expect(malformed.output).not.toContain("not-a-key");

    await app.inject({ method: "POST", url: "/v1/webhooks", headers: auth, payload: { url: rx.url("/x") } });
    const wrong = randomBytes(32);
    const refused = await exited(
      startService("worker", await env({ ENCRYPTION_KEYS: wrong.toString("base64") })),
    );
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toContain(`1 value(s) are sealed with key ${keyId(OLD)}`);
    expect(refused.output).toContain(`holds only ${keyId(wrong)}`);
    expect(sealedWith((await h.db.webhookEndpoint.findFirstOrThrow()).secret)).toBe(keyId(OLD));
  }, 240_000);

  it("migrate seals plaintext secrets when ENCRYPTION_KEYS is set", async () => {
    const secret = generateSecret();
    await h.db.webhookEndpoint.create({
      data: { id: "ep_migrate", url: rx.url("/m"), msgTypes: [], secret },
    });
    const migrate = await exited(startService("migrate", await env({})));
    expect(migrate.code, migrate.output).toBe(0);
    const raw = await rawRow("ep_migrate");
    expect(sealedWith(raw.secret)).toBe(keyId(OLD));
    expect(keyringOf(h.config).open("ep_migrate", "secret", raw.secret)).toBe(secret);
  }, 120_000);
});
