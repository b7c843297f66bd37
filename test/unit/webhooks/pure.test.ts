import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  buildPayload,
  parseMsgBody,
  signRequest,
  standardSignature,
  webhookMessageId,
} from "../../../src/webhooks/delivery/payload.js";
import { afterFailure, isSuccess, resultOf } from "../../../src/webhooks/delivery/retry-schedule.js";
import {
  EMPTY_MSG_TYPES,
  inputProblem,
  storedMsgTypes,
  urlProblem,
} from "../../../src/webhooks/endpoints/input.js";
import { rotateSecret } from "../../../src/webhooks/endpoints/rotation.js";
import {
  generateEndpointId,
  generateSecret,
  secretProblem,
  signingSecrets,
} from "../../../src/webhooks/endpoints/secret.js";

const key = "a".repeat(64);
const notification = {
  contentKey: key,
  msgType: "PAY_STATUS_NOTIFY",
  timestamp: 1554990000123n,
  msgBody: '{"mchtOrderNo":"O-1","payStatus":"PAY_SUCCEED"}',
  source: "payzero-notify",
  orderAfter: { mchtOrderNo: "O-1", payStatus: "PAY_SUCCEED", paymentAmount: 35302 },
};

describe("payload", () => {
  it("is built from the stored notification", () => {
    expect(buildPayload(notification)).toEqual({
      id: `msg_${key}`,
      type: "PAY_STATUS_NOTIFY",
      timestamp: 1554990000123,
      source: "payzero-notify",
      data: { mchtOrderNo: "O-1", payStatus: "PAY_SUCCEED" },
      order: notification.orderAfter,
    });
  });

  it("keeps a msgBody that is not JSON as text, and order null when not about an order", () => {
    const p = buildPayload({
      ...notification,
      msgBody: "not json {",
      orderAfter: null,
      source: "payzero-query",
    });
    expect(p.data).toBe("not json {");
    expect(p.order).toBeNull();
    expect(p.source).toBe("payzero-query");
    expect(parseMsgBody('"a string"')).toBe("a string");
  });

  it("has the same id for the same content", () => {
    expect(webhookMessageId(key)).toBe(buildPayload(notification).id);
    expect(webhookMessageId("b".repeat(64))).not.toBe(webhookMessageId(key));
  });

  it("is signed so that standardwebhooks verifies it, with the send time in webhook-timestamp", () => {
    const secret = generateSecret();
    const now = new Date();
    const req = signRequest([secret], buildPayload(notification), now);
    expect(req.headers["webhook-id"]).toBe(`msg_${key}`);
    expect(req.headers["webhook-timestamp"]).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toBe("payzero-notify");
    expect(new Webhook(secret).verify(req.body, req.headers)).toEqual(JSON.parse(req.body));
    expect(() => new Webhook(generateSecret()).verify(req.body, req.headers)).toThrow();
    expect(() => new Webhook(secret).verify(req.body.replace("O-1", "O-2"), req.headers)).toThrow();
  });

  it("signs exactly as the standardwebhooks package does, for any secret, id, time and body", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.string({ unit: "binary" }),
        (bytes, id, seconds, body) => {
          const secret = `whsec_${Buffer.from(bytes).toString("base64")}`;
          const at = new Date(seconds * 1000 + 999);
          expect(standardSignature(secret, id, at, body)).toBe(new Webhook(secret).sign(id, at, body));
        },
      ),
    );
  });
});

describe("secret rotation", () => {
  const now = new Date("2026-11-26T12:00:00Z");
  const [a, b, c] = [generateSecret(), generateSecret(), generateSecret()];
  const plain = { secret: a, previousSecret: null, previousSecretExpiresAt: null };

  it("keeps the old secret for the overlap, or drops it at once with 0", () => {
    const rotated = rotateSecret(plain, b, 3600, now);
    expect(rotated).toEqual({
      secret: b,
      previousSecret: a,
      previousSecretExpiresAt: new Date("2026-11-26T13:00:00Z"),
    });
    expect(rotateSecret(rotated, c, 0, now)).toEqual({
      secret: c,
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    // Only the secret right before the last rotation is kept.
    expect(rotateSecret(rotated, c, 60, now)).toMatchObject({ secret: c, previousSecret: b });
  });

  it("is no rotation when the secret stays the same: a running overlap goes on", () => {
    const rotated = rotateSecret(plain, b, 3600, now);
    expect(rotateSecret(rotated, b, 0, now)).toBe(rotated);
  });

  it("signs with both secrets until the old one expires, then with the new one only", () => {
    const rotated = rotateSecret(plain, b, 3600, now);
    expect(signingSecrets(plain, now)).toEqual([a]);
    expect(signingSecrets(rotated, now)).toEqual([b, a]);
    expect(signingSecrets(rotated, new Date("2026-11-26T12:59:59Z"))).toEqual([b, a]);
    expect(signingSecrets(rotated, new Date("2026-11-26T13:00:00Z"))).toEqual([b]);
    expect(signingSecrets({ ...rotated, previousSecret: b }, now)).toEqual([b]);
  });

  it("puts one signature per secret in webhook-signature, each verifying alone", () => {
    // Signed now: standardwebhooks refuses a webhook-timestamp more than 5 minutes off.
    const req = signRequest([b, a], buildPayload(notification), new Date());
    expect(req.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    for (const secret of [a, b])
      expect(new Webhook(secret).verify(req.body, req.headers)).toEqual(JSON.parse(req.body));
    expect(() => new Webhook(c).verify(req.body, req.headers)).toThrow();
  });
});

describe("retry schedule", () => {
  const schedule = [5, 30, 120];

  it("waits schedule[n-1] seconds after the n-th failed attempt, then gives up", () => {
    expect(afterFailure(schedule, 1)).toEqual({ kind: "retry", delayMs: 5000 });
    expect(afterFailure(schedule, 2)).toEqual({ kind: "retry", delayMs: 30_000 });
    expect(afterFailure(schedule, 3)).toEqual({ kind: "retry", delayMs: 120_000 });
    expect(afterFailure(schedule, 4)).toEqual({ kind: "give-up" });
    expect(afterFailure(schedule, 9)).toEqual({ kind: "give-up" });
    expect(afterFailure([], 1)).toEqual({ kind: "give-up" });
    expect(afterFailure([0], 1)).toEqual({ kind: "retry", delayMs: 0 });
  });

  it("turns an attempt into the row's next state", () => {
    expect(resultOf(true, schedule, 1)).toEqual({ status: "succeeded", retryInMs: null });
    expect(resultOf(false, schedule, 1)).toEqual({ status: "pending", retryInMs: 5000 });
    expect(resultOf(false, schedule, 4)).toEqual({ status: "failed", retryInMs: null });
  });

  it("makes a manual retry one attempt, whatever the schedule still allows", () => {
    expect(resultOf(false, schedule, 1, true)).toEqual({ status: "failed", retryInMs: null });
    expect(resultOf(true, schedule, 1, true)).toEqual({ status: "succeeded", retryInMs: null });
  });

  it("counts any 2xx as success", () => {
    expect([200, 201, 204, 299].every(isSuccess)).toBe(true);
    expect([null, 199, 300, 302, 404, 500].some(isSuccess)).toBe(false);
  });
});

describe("secrets and ids", () => {
  it("generates whsec_ keys that standardwebhooks accepts and that pass our own check", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(secretProblem(a)).toBeUndefined();
    expect(generateSecret()).not.toBe(a);
  });

  it("refuses secrets that are not whsec_ base64 of 24–64 bytes", () => {
    expect(secretProblem("abc")).toMatch(/whsec_/);
    expect(secretProblem("whsec_")).toBeDefined();
    expect(secretProblem("whsec_***not base64***")).toBeDefined();
    expect(secretProblem(`whsec_${Buffer.alloc(8).toString("base64")}`)).toMatch(/24–64 bytes/);
    expect(secretProblem(`whsec_${Buffer.alloc(24, 7).toString("base64")}`)).toBeUndefined();
  });

  it("makes endpoint ids that sort in creation order", () => {
    const ids = [generateEndpointId(1000), generateEndpointId(2000), generateEndpointId(1_800_000_000_000)];
    expect(ids.every((id) => /^ep_[0-9a-f]{28}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("endpoint input", () => {
  it("takes only absolute http(s) URLs", () => {
    expect(urlProblem("https://example.com/hook")).toBeUndefined();
    expect(urlProblem("http://127.0.0.1:8080/x")).toBeUndefined();
    expect(urlProblem("ftp://example.com/")).toMatch(/http/);
    expect(urlProblem("/relative")).toBeDefined();
    expect(urlProblem("javascript:alert(1)")).toBeDefined();
  });

  it("stores null or absent msgTypes as every type and refuses an empty list", () => {
    expect(storedMsgTypes(undefined)).toEqual([]);
    expect(storedMsgTypes(null)).toEqual([]);
    expect(storedMsgTypes(["A", "B", "A"])).toEqual(["A", "B"]);
    expect(inputProblem({ msgTypes: [] })).toBe(EMPTY_MSG_TYPES);
    expect(inputProblem({ msgTypes: null, url: "https://x.test/" })).toBeUndefined();
    expect(inputProblem({ secret: "nope" })).toBeDefined();
    expect(inputProblem({ secret: null })).toBeUndefined();
  });
});
