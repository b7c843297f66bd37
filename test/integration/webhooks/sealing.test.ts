// Issue #15 part 1, at rest: endpoint secrets and headers sealed with ENCRYPTION_KEYS; a key rotation
// (NEW,OLD re-seals, then OLD can go and deliveries still verify); plaintext secrets of an install
// before sealing are sealed on upgrade. A missing or wrong key stopping the start, and migrate sealing:
// test/system/webhooks/sealing-startup.test.ts.
import { createCipheriv, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config.js";
import { keyId, keyringOf, SealingError } from "../../../src/crypto/keyring.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { checkAndSeal } from "../../../src/webhooks/endpoints/endpoint-sealing.js";
import { generateSecret } from "../../../src/webhooks/endpoints/secret.js";
import { TEST_ENCRYPTION_KEY } from "../../support/config.js";
import {
  auth,
  buildV1,
  type Harness,
  rawEndpointRow,
  sealedWith,
  storeNotification,
  useHarnessAndReceiver,
  waitSettled,
} from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
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
const NEW = randomBytes(32);
const keys = (...list: Buffer[]): Pick<Config, "encryptionKeys"> => ({ encryptionKeys: list });

const rawRow = (id: string) => rawEndpointRow(h.db, id);

/** One notification through workers running with `encryptionKeys`; the request the receiver got. */
async function deliverWith(encryptionKeys: Buffer[], path: string, orderNo: string) {
  const { fanOut } = h.start({ encryptionKeys });
  await storeNotification(h.db, fanOut, {
    msgType: PAY_STATUS_NOTIFY,
    msgBody: orderBody({ mchtOrderNo: orderNo }),
  });
  await waitSettled(h.db);
  await h.stopWorkers();
  const got = rx.received.filter((r) => r.path === path);
  return got[got.length - 1];
}

describe("sealing keys", () => {
  it("rotate: NEW,OLD seals everything again with NEW; then OLD can go and deliveries still verify", async () => {
    const created = await app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: auth,
      payload: { url: rx.url("/rotate"), headers: { authorization: "Bearer rot-token-0123456789" } },
    });
    const { id, secret } = created.json() as { id: string; secret: string };
    const before = await rawRow(id);
    expect(sealedWith(before.secret)).toBe(keyId(OLD));
    expect(sealedWith(before.headers)).toBe(keyId(OLD));

    // Step 2 of docs/webhooks.md's procedure: the new key first, the old one after it.
    expect(await checkAndSeal(h.db, keyringOf(keys(NEW, OLD)))).toEqual({ sealed: 0, resealed: 2 });
    const after = await rawRow(id);
    expect(sealedWith(after.secret)).toBe(keyId(NEW));
    expect(sealedWith(after.headers)).toBe(keyId(NEW));
    // A second pass (another process starting) finds nothing to do.
    expect(await checkAndSeal(h.db, keyringOf(keys(NEW, OLD)))).toEqual({ sealed: 0, resealed: 0 });

    // Step 3: the old key removed.
    expect(await checkAndSeal(h.db, keyringOf(keys(NEW)))).toEqual({ sealed: 0, resealed: 0 });
    const got = await deliverWith([NEW], "/rotate", "ROT-1");
    expect(got?.headers.authorization).toBe("Bearer rot-token-0123456789");
    expect(new Webhook(secret).verify(got!.body, got!.headers as Record<string, string>)).toMatchObject({
      type: PAY_STATUS_NOTIFY,
    });

    // The old key alone no longer opens them: refused with the missing key named, nothing changed.
    const refused = await checkAndSeal(h.db, keyringOf(keys(OLD))).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SealingError);
    expect((refused as Error).message).toContain(`2 value(s) are sealed with key ${keyId(NEW)}`);
    expect((refused as Error).message).toContain(`holds only ${keyId(OLD)}`);
    expect(await rawRow(id)).toEqual(after);
  });

  it("seal the plaintext secrets of an install from before sealing, which keep verifying", async () => {
    // As the previous release stored them: plain whsec_ values (a rotation's old one too).
    const secret = generateSecret();
    const previous = generateSecret();
    await h.db.webhookEndpoint.create({
      data: {
        id: "ep_legacy",
        url: rx.url("/legacy"),
        msgTypes: [],
        secret,
        previousSecret: previous,
        previousSecretExpiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    // Until sealed (an old replica still writing during a rolling upgrade), they are read as they are.
    const before = await deliverWith(h.config.encryptionKeys, "/legacy", "LEG-1");
    expect(
      new Webhook(previous).verify(before!.body, before!.headers as Record<string, string>),
    ).toBeTruthy();

    expect(await checkAndSeal(h.db, keyringOf(h.config))).toEqual({ sealed: 2, resealed: 0 });
    const raw = await rawRow("ep_legacy");
    expect(sealedWith(raw.secret)).toBe(keyId(OLD));
    expect(sealedWith(raw.previousSecret)).toBe(keyId(OLD));
    expect(JSON.stringify(raw)).not.toContain(secret.slice(6));
    expect(JSON.stringify(raw)).not.toContain(previous.slice(6));

    // The sealed column opens to the same key; the view (never showing the secret) still reads the row.
    expect(keyringOf(h.config).open("ep_legacy", "secret", raw.secret)).toBe(secret);
    const view = await app.inject({ method: "GET", url: "/v1/webhooks/ep_legacy", headers: auth });
    expect(view.json()).toMatchObject({ id: "ep_legacy", headers: [] });
    expect(view.body).not.toContain(secret.slice(6));
    const got = await deliverWith(h.config.encryptionKeys, "/legacy", "LEG-2");
    for (const key of [secret, previous])
      expect(new Webhook(key).verify(got!.body, got!.headers as Record<string, string>)).toBeTruthy();
  });

  it("seal the password in a URL stored in plaintext; sends still use it, views and the row never show it", async () => {
    const url = new URL(rx.url("/url-credential"));
    url.username = "erp";
    url.password = "pw-legacy-123";
    await h.db.webhookEndpoint.create({
      data: { id: "ep_url", url: url.toString(), msgTypes: [], secret: generateSecret() },
    });
    // The secret and the URL's password.
    expect(await checkAndSeal(h.db, keyringOf(h.config))).toEqual({ sealed: 2, resealed: 0 });
    const [row] = await h.db.$queryRaw<
      Array<{ url: string }>
    >`SELECT url FROM webhook_endpoints WHERE id = 'ep_url'`;
    expect(row?.url).not.toContain("pw-legacy-123");
    expect(row?.url).toContain("erp:enc%3Av2%3A");
    const view = await app.inject({ method: "GET", url: "/v1/webhooks/ep_url", headers: auth });
    expect(view.json().url).toBe(url.toString().replace("pw-legacy-123", "****"));
    const got = await deliverWith(h.config.encryptionKeys, "/url-credential", "URL-1");
    expect(got?.headers.authorization).toBe(`Basic ${Buffer.from("erp:pw-legacy-123").toString("base64")}`);
    // A key rotation seals it again with the new key.
    expect(await checkAndSeal(h.db, keyringOf(keys(NEW, OLD)))).toEqual({ sealed: 0, resealed: 2 });
  });

  it("seal v1 values (bound to the endpoint, not the column) again as v2, which keep verifying", async () => {
    const secret = generateSecret();
    const v1 = sealedV1(OLD, "ep_v1", secret);
    await h.db.webhookEndpoint.create({
      data: { id: "ep_v1", url: rx.url("/v1-sealed"), msgTypes: [], secret: v1 },
    });
    expect(await checkAndSeal(h.db, keyringOf(h.config))).toEqual({ sealed: 0, resealed: 1 });
    const raw = await rawRow("ep_v1");
    expect(raw.secret).toMatch(new RegExp(`^enc:v2:${keyId(OLD)}:`));
    // Bound to its column now: the same value in previous_secret does not open.
    await h.db.$executeRaw`UPDATE webhook_endpoints SET previous_secret = ${raw.secret} WHERE id = 'ep_v1'`;
    await expect(checkAndSeal(h.db, keyringOf(h.config))).rejects.toThrow(/does not open with key/);
    await h.db.$executeRaw`UPDATE webhook_endpoints SET previous_secret = NULL WHERE id = 'ep_v1'`;
    const got = await deliverWith(h.config.encryptionKeys, "/v1-sealed", "V1-1");
    expect(new Webhook(secret).verify(got!.body, got!.headers as Record<string, string>)).toBeTruthy();
  });
});

/** A value as the release before column binding sealed it: AES-256-GCM, AAD the endpoint's id alone. */
function sealedV1(key: Buffer, endpointId: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(endpointId, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `enc:v1:${keyId(key)}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
}
