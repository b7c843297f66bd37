import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveOrder, messagesStateNeeds, type OrderMessage } from "../../../src/orders/order-state.js";
import { unsignedKey } from "../../../src/payzero/envelope.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { DECLARE_STATUSES, PAY_STATUSES } from "../../../src/payzero/statuses.js";
import { orderBody } from "../../support/payzero.js";

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

function msg(msgType: string, timestamp: number, fields: Record<string, unknown>): OrderMessage {
  const body = orderBody({ mchtOrderNo: "O-1", ...fields });
  const parsed = parseOrderResult(body);
  if (!parsed.ok) throw new Error(parsed.problem);
  return {
    contentKey: unsignedKey(msgType, body, BigInt(timestamp)),
    msgType,
    timestamp: BigInt(timestamp),
    dto: parsed.dto,
  };
}

describe("deriveOrder", () => {
  it("keeps PAY_SUCCEED against a stale PAY_FAILED", () => {
    const s = deriveOrder([
      msg(PAY, 1, { payStatus: "PAY_APPLIED" }),
      msg(PAY, 3, { payStatus: "PAY_SUCCEED" }),
      msg(PAY, 2, { payStatus: "PAY_FAILED" }),
    ]);
    expect(s.payStatus).toBe("PAY_SUCCEED");
    expect(s.payStatusAt).toBe(3n);
  });

  it("keeps PAY_SUCCEED even against a newer non-success", () => {
    const s = deriveOrder([
      msg(PAY, 1, { payStatus: "PAY_SUCCEED" }),
      msg(PAY, 9, { payStatus: "PAY_FAILED" }),
    ]);
    expect(s.payStatus).toBe("PAY_SUCCEED");
  });

  it("keeps DECLARED against a late DECLARING", () => {
    const s = deriveOrder([
      msg(DECLARE, 1, {
        payStatus: "PAY_SUCCEED",
        declareStatus: "DECLARE_FAILED",
        declareFailReason: "姓名不匹配",
      }),
      msg(DECLARE, 2, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARED", declareFailReason: null }),
      msg(DECLARE, 3, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" }),
    ]);
    expect(s.declareStatus).toBe("DECLARED");
    expect(s.declareFailReason).toBeNull();
  });

  it("lets the newer timestamp win between non-terminal states", () => {
    const s = deriveOrder([
      msg(PAY, 5, { payStatus: "PAY_FAILED" }),
      msg(PAY, 4, { payStatus: "PAY_APPLIED" }),
    ]);
    expect(s.payStatus).toBe("PAY_FAILED");
    const t = deriveOrder([
      msg(DECLARE, 5, { declareStatus: "DECLARING" }),
      msg(DECLARE, 6, { declareStatus: "DECLARE_FAILED", declareFailReason: "r" }),
    ]);
    expect(t.declareStatus).toBe("DECLARE_FAILED");
    expect(t.declareFailReason).toBe("r");
  });

  it("does not let an old PAY notification move a DECLARED order back", () => {
    const s = deriveOrder([
      msg(DECLARE, 10, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" }),
      msg(PAY, 5, { payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" }),
    ]);
    expect(s.declareStatus).toBe("DECLARED");
    expect(s.payStatus).toBe("PAY_SUCCEED");
  });

  it("does not let a newer PAY notification move the declare status backwards", () => {
    const s = deriveOrder([
      msg(DECLARE, 10, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" }),
      msg(PAY, 20, { payStatus: "PAY_SUCCEED", declareStatus: "PENDING_DECLARE" }),
    ]);
    expect(s.declareStatus).toBe("DECLARING");
    expect(s.declareStatusAt).toBe(10n);
  });

  it("keeps a newer, further PAY notification's declare status when a still newer one is behind it", () => {
    const declaring = msg(PAY, 5, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    const own = msg(DECLARE, 1, { payStatus: "PAY_SUCCEED", declareStatus: "PENDING_DECLARE" });
    expect(deriveOrder([own, declaring]).declareStatus).toBe("DECLARING");
    // A later PAY notification still saying NOT_DECLARED moves nothing forward, so it must not move it back.
    const s = deriveOrder([
      own,
      declaring,
      msg(PAY, 6, { payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" }),
    ]);
    expect(s.declareStatus).toBe("DECLARING");
    expect(s.declareStatusAt).toBe(5n);
  });

  it("takes the other type's status when it is newer and further along", () => {
    const s = deriveOrder([
      msg(PAY, 10, { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" }),
      msg(DECLARE, 20, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" }),
    ]);
    expect(s.payStatus).toBe("PAY_SUCCEED");
    expect(s.declareStatus).toBe("DECLARING");
  });

  it("stores unknown statuses as they come", () => {
    const s = deriveOrder([msg(PAY, 1, { payStatus: "PAY_CANCELLED" })]);
    expect(s.payStatus).toBe("PAY_CANCELLED");
  });

  it("takes the other fields from the messages that set the statuses, not from a newer stale one", () => {
    const paid = msg(PAY, 1, { payStatus: "PAY_SUCCEED", paymentOrderNo: "P-1", paymentAmount: 200 });
    const stale = msg(PAY, 5, { payStatus: "PAY_FAILED", paymentOrderNo: null, paymentAmount: 1 });
    const s = deriveOrder([paid, stale]);
    expect([s.payStatus, s.paymentOrderNo, s.paymentAmount]).toEqual(["PAY_SUCCEED", "P-1", 200n]);
    // A re-declaration (section 8.1) with corrected payer data sets the declare status: its data wins.
    const redeclared = msg(DECLARE, 3, {
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARING",
      payerName: "周新",
      paymentOrderNo: "P-1",
    });
    expect(deriveOrder([paid, stale, redeclared]).payerName).toBe("周新");
  });

  it("takes the descriptive fields from the newest message", () => {
    const s = deriveOrder([
      msg(PAY, 2, { payStatus: "PAY_SUCCEED", paymentAmount: 200, paymentDatetime: 20190411213822 }),
      msg(PAY, 1, { payStatus: "PAY_APPLIED", paymentAmount: 100 }),
    ]);
    expect(s.paymentAmount).toBe(200n);
    expect(s.paymentDatetime).toBe("20190411213822");
  });

  const message = fc
    .record({
      msgType: fc.constantFrom(PAY, DECLARE),
      timestamp: fc.integer({ min: 1, max: 20 }),
      payStatus: fc.constantFrom(...PAY_STATUSES, "PAY_CANCELLED", null),
      declareStatus: fc.constantFrom(...DECLARE_STATUSES, null),
      paymentAmount: fc.integer({ min: 0, max: 1_000_000 }),
      subject: fc.string({ maxLength: 8 }),
    })
    .map(({ msgType, timestamp, ...fields }) => msg(msgType, timestamp, fields));

  it("gives the same state for any order and duplication of the same messages (property)", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.func(fc.integer()),
        (messages, duplicates, shuffleKey) => {
          const withDuplicates = [...messages, ...duplicates.map((i) => messages[i % messages.length]!)];
          const shuffled = withDuplicates
            .map((m, i) => ({ m, k: shuffleKey(i) }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.m);
          expect(deriveOrder(shuffled)).toEqual(deriveOrder(messages));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never shows a success replaced by anything (property)", () => {
    fc.assert(
      // Every run holds a success of each kind, at any timestamp, among arbitrary other messages.
      fc.property(
        fc.array(message, { maxLength: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        (others, paidAt, declaredAt) => {
          const paid = msg(PAY, paidAt, { payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
          const declared = msg(DECLARE, declaredAt, { payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
          expect(deriveOrder([...others, paid]).payStatus).toBe("PAY_SUCCEED");
          expect(deriveOrder([declared, ...others]).declareStatus).toBe("DECLARED");
        },
      ),
    );
  });
});

describe("messagesStateNeeds (what retention keeps of an order's history)", () => {
  const message = fc
    .record({
      msgType: fc.constantFrom(PAY, DECLARE),
      timestamp: fc.integer({ min: 1, max: 20 }),
      payStatus: fc.constantFrom(...PAY_STATUSES, "PAY_CANCELLED", null),
      declareStatus: fc.constantFrom(...DECLARE_STATUSES, null),
      paymentAmount: fc.integer({ min: 0, max: 1_000_000 }),
      declareFailReason: fc.constantFrom(null, "r1", "r2"),
    })
    .map(({ msgType, timestamp, ...fields }) => msg(msgType, timestamp, fields));
  /** Messages sent after a history's newest (Payzero's timestamps move on). */
  const later = fc
    .array(message, { maxLength: 4 })
    .map((ms) => ms.map((m, i) => ({ ...m, timestamp: m.timestamp + 100n * BigInt(i + 1) })));
  const kept = (history: OrderMessage[]) => {
    const needed = messagesStateNeeds(history);
    return history.filter((m) => needed.has(m.contentKey));
  };

  it("keeps what gives the same state as the whole history, with any later messages (property)", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), later, (history, after) => {
        expect(deriveOrder([...kept(history), ...after])).toEqual(deriveOrder([...history, ...after]));
        // Kept again after those came (the next retention run): still the same state.
        const all = [...history, ...after];
        const twice = kept([...kept(history), ...after]);
        expect(deriveOrder(twice)).toEqual(deriveOrder(all));
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves a removed message, come again, a resend that changes nothing (property)", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), fc.nat(), (history, pick) => {
        const again = history[pick % history.length]!;
        expect(deriveOrder([...kept(history), again])).toEqual(deriveOrder(history));
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps at most five messages of a long history", () => {
    const history = Array.from({ length: 40 }, (_, i) =>
      msg(i % 2 ? PAY : DECLARE, i + 1, {
        payStatus: "PAY_APPLIED",
        declareStatus: "DECLARING",
        paymentAmount: i,
      }),
    );
    expect(messagesStateNeeds(history).size).toBeLessThanOrEqual(5);
  });
});

describe("parseOrderResult", () => {
  it("reads every orderResultDto field, numbers or strings", () => {
    const parsed = parseOrderResult(
      orderBody({ mchtOrderNo: "A", paymentAmount: 35302, paymentDatetime: 20190313124233 }),
    );
    expect(parsed).toMatchObject({
      ok: true,
      dto: { mchtOrderNo: "A", paymentAmount: 35302n, paymentDatetime: "20190313124233" },
    });
  });

  it.each([
    ["not JSON", "{", "msgBody is not JSON"],
    ["an array", "[1]", "msgBody is not a JSON object"],
    ["no order number", '{"payStatus":"PAY_SUCCEED"}', "msgBody has no mchtOrderNo"],
    ["a blank order number", '{"mchtOrderNo":"  "}', "msgBody has no mchtOrderNo"],
    ["an object status", '{"mchtOrderNo":"A","payStatus":{}}', "payStatus is not text"],
    [
      "a NUL in the declare status",
      '{"mchtOrderNo":"A","declareStatus":"D\\u0000"}',
      "declareStatus is not text",
    ],
  ])("marks %s as a problem", (_name, body, problem) => {
    expect(parseOrderResult(body)).toMatchObject({ ok: false, problem });
  });

  it.each([
    [
      "an object initResponse",
      { initResponse: { retcode: "SUCCESS" } },
      { initResponse: '{"retcode":"SUCCESS"}' },
      ["initResponse is not text: kept as its JSON"],
    ],
    [
      "an amount with decimals",
      { paymentAmount: "35302.00" },
      { paymentAmount: 35302n },
      ['paymentAmount "35302.00" is not a whole number: read as 35302 fen'],
    ],
    [
      "a fractional amount",
      { paymentAmount: 1.5 },
      { paymentAmount: null },
      ["paymentAmount is not a whole number of fen: left out (msgBody has it)"],
    ],
    [
      "a NUL in the payer's name and an array subject",
      { payerName: "A\u0000", subject: ["x"] },
      { payerName: null, subject: '["x"]' },
      ["payerName is not text: left out (msgBody has it)", "subject is not text: kept as its JSON"],
    ],
  ])("applies a message with %s, saying what it kept how", (_name, fields, read, kept) => {
    const parsed = parseOrderResult(orderBody({ mchtOrderNo: "A", payStatus: "PAY_SUCCEED", ...fields }));
    expect(parsed).toMatchObject({ ok: true, dto: { payStatus: "PAY_SUCCEED", ...read }, kept });
  });

  it("never throws on arbitrary text (fuzz)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        const parsed = parseOrderResult(body);
        expect(typeof parsed.ok).toBe("boolean");
      }),
    );
  });
});
