// The worker's check of a queued message (src/orders/queued-sign.ts), and the type a message is taken as.
import { describe, expect, it } from "vitest";
import { takenType } from "../../../src/orders/message-type.js";
import { checkQueued } from "../../../src/orders/queued-sign.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { payzeroSign } from "../../../src/payzero/sign.js";
import type { NotificationMessage } from "../../../src/queue/queue.js";
import { orderBody } from "../../support/payzero.js";

const TOKENS = ["old-token", "new-token"];
const body = orderBody({ mchtOrderNo: "U-1", payStatus: "PAY_SUCCEED", subject: "口红😀" });
const timestamp = "1765000000000";
const grace = { startedAt: 10_000, graceMs: 3_600_000 };

function queued(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    msgType: "PAY_STATUS_NOTIFY",
    timestamp,
    msgBody: body,
    sign: payzeroSign("new-token", timestamp, body),
    signedOver: "UTF-8",
    receivedAt: new Date(0).toISOString(),
    ...overrides,
  };
}

describe("checkQueued", () => {
  it("takes a message whose sign verifies with any configured token, over the charset named", () => {
    expect(checkQueued(queued(), 0, TOKENS, grace, 20_000)).toEqual({ ok: true, sign: queued().sign });
    const gbk = payzeroSign("old-token", timestamp, body, "GBK");
    expect(checkQueued(queued({ sign: gbk, signedOver: "GBK" }), 0, TOKENS, grace, 20_000).ok).toBe(true);
    // Over the other charset the same sign does not verify: the worker hashes what the receiver hashed.
    expect(checkQueued(queued({ sign: gbk, signedOver: "UTF-8" }), 0, TOKENS, grace, 20_000)).toEqual({
      ok: false,
      reason: "bad_sign_in_queue",
    });
  });

  it("refuses a changed body, timestamp, sign, charset or a field of the wrong type", () => {
    for (const changed of [
      { msgBody: body.replace("PAY_SUCCEED", "PAY_FAILED") },
      { timestamp: "1765000000001" },
      { sign: payzeroSign("another-token", timestamp, body) },
      { signedOver: "Big5" as never },
      { timestamp: 1765000000000 as never },
      { msgType: 7 as never },
    ])
      expect(checkQueued(queued(changed), 0, TOKENS, grace, 20_000)).toEqual({
        ok: false,
        reason: "bad_sign_in_queue",
      });
  });

  it("takes a message without a sign only if queued before the worker started, within the grace", () => {
    const old = queued({ sign: undefined, signedOver: undefined });
    delete old.sign;
    delete old.signedOver;
    expect(checkQueued(old, 9_999, TOKENS, grace, 20_000)).toEqual({ ok: true, sign: null });
    expect(checkQueued(old, 10_001, TOKENS, grace, 20_000)).toEqual({
      ok: false,
      reason: "unsigned_in_queue",
    });
    expect(checkQueued(old, 9_999, TOKENS, grace, 10_000 + 3_600_000)).toEqual({
      ok: false,
      reason: "unsigned_in_queue",
    });
    expect(checkQueued(old, 9_999, TOKENS, { ...grace, graceMs: 0 }, 10_000)).toEqual({
      ok: false,
      reason: "unsigned_in_queue",
    });
  });
});

describe("takenType", () => {
  const dto = (fields: Record<string, unknown>) => {
    const parsed = parseOrderResult(orderBody({ mchtOrderNo: "T-1", ...fields }));
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.dto;
  };
  it("keeps msgType where the body carries its status, or both", () => {
    expect(takenType("PAY_STATUS_NOTIFY", dto({}))).toEqual({ msgType: "PAY_STATUS_NOTIFY", note: null });
    expect(takenType("DECLARE_STATUS_NOTIFY", dto({}))).toEqual({
      msgType: "DECLARE_STATUS_NOTIFY",
      note: null,
    });
    expect(takenType("REFUND_STATUS_NOTIFY", dto({ payStatus: null }))).toMatchObject({ note: null });
  });
  it("takes the other type where the body carries only the other type's status", () => {
    expect(takenType("DECLARE_STATUS_NOTIFY", dto({ declareStatus: null }))).toMatchObject({
      msgType: "PAY_STATUS_NOTIFY",
      note: expect.stringMatching(/no declareStatus/),
    });
    expect(takenType("PAY_STATUS_NOTIFY", dto({ payStatus: null }))).toMatchObject({
      msgType: "DECLARE_STATUS_NOTIFY",
    });
  });
});
