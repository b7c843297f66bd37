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
import { generateSecret } from "../../../src/webhooks/endpoints/secret.js";

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

describe("signRequest with several secrets", () => {
  const [a, b, c] = [generateSecret(), generateSecret(), generateSecret()];

  it("puts one signature per secret in webhook-signature, each verifying alone", () => {
    // Signed now: standardwebhooks refuses a webhook-timestamp more than 5 minutes off.
    const req = signRequest([b, a], buildPayload(notification), new Date());
    expect(req.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    for (const secret of [a, b])
      expect(new Webhook(secret).verify(req.body, req.headers)).toEqual(JSON.parse(req.body));
    expect(() => new Webhook(c).verify(req.body, req.headers)).toThrow();
  });
});
