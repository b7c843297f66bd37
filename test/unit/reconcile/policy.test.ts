import { describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import {
  abandonedShare,
  type Cursor,
  decodeCursor,
  differences,
  encodeCursor,
  nextCursor,
  priorityOrdersQuery,
  queryNotification,
  type StoredOrder,
  staleOrdersQuery,
  startOffset,
} from "../../../src/reconcile/policy.js";

const settings = {
  intervalSeconds: 300,
  staleSeconds: 900,
  maxAgeSeconds: 604_800,
  batchSize: 3,
  ratePerSecond: 5,
  awaitDeclaration: true,
  unknownOrderSeconds: 86_400,
  abandonedAfterSeconds: 86_400,
  abandonedSharePercent: 10,
};
const at = new Date("2026-11-26T12:00:00.000Z");

function stored(payStatus: string | null, declareStatus: string | null, no = "A"): StoredOrder {
  return { mchtOrderNo: no, payStatus, declareStatus, updatedAt: at, payzeroUnknownSince: null };
}

function answer(payStatus: string | null, declareStatus: string | null) {
  const parsed = parseOrderResult(JSON.stringify({ mchtOrderNo: "A", payStatus, declareStatus }));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.dto;
}

describe("differences", () => {
  it.each([
    ["PAY_APPLIED", "NOT_DECLARED", "PAY_SUCCEED", "NOT_DECLARED", [PAY_STATUS_NOTIFY]],
    ["PAY_SUCCEED", "DECLARING", "PAY_SUCCEED", "DECLARED", [DECLARE_STATUS_NOTIFY]],
    ["PAY_APPLIED", "NOT_DECLARED", "PAY_SUCCEED", "DECLARED", [PAY_STATUS_NOTIFY, DECLARE_STATUS_NOTIFY]],
    [null, null, "PAY_FAILED", "NOT_DECLARED", [PAY_STATUS_NOTIFY, DECLARE_STATUS_NOTIFY]],
    ["PAY_APPLIED", "NOT_DECLARED", "PAY_APPLIED", "NOT_DECLARED", []],
    // A final status here never goes back, whatever Payzero answers.
    ["PAY_SUCCEED", "DECLARE_FAILED", "PAY_APPLIED", "DECLARE_FAILED", []],
    ["PAY_FAILED", "DECLARED", "PAY_FAILED", "DECLARING", []],
    // Payzero saying nothing about a dimension is no difference.
    ["PAY_APPLIED", "NOT_DECLARED", null, null, []],
  ])("stored %s/%s, Payzero %s/%s → %j", (sp, sd, ap, ad, expected) => {
    expect(differences(stored(sp, sd), answer(ap, ad))).toEqual(expected);
  });
});

describe("staleOrdersQuery", () => {
  it("asks for unfinished orders unchanged for staleSeconds and younger than maxAgeSeconds, oldest first", () => {
    const q = staleOrdersQuery(at, settings, null);
    expect(q.take).toBe(3);
    expect(q.orderBy).toEqual([{ updatedAt: "asc" }, { mchtOrderNo: "asc" }]);
    expect(q.where.AND[0]).toEqual({
      updatedAt: { lt: new Date("2026-11-26T11:45:00.000Z"), gt: new Date("2026-11-19T12:00:00.000Z") },
    });
    expect(q.where.AND[1]).toEqual({ createdAt: { gt: new Date("2026-11-19T12:00:00.000Z") } });
    expect(q.where.AND[3]).toEqual({});
  });

  it("goes on after the cursor", () => {
    const cursor = { updatedAt: at, mchtOrderNo: "B" };
    expect(staleOrdersQuery(at, settings, cursor).where.AND[3]).toEqual({
      OR: [{ updatedAt: { gt: at } }, { updatedAt: at, mchtOrderNo: { gt: "B" } }],
    });
  });
});

describe("nextCursor", () => {
  const batch = ["A", "B", "C"].map((no) => stored(null, null, no));
  const previous: Cursor = { updatedAt: new Date(0), mchtOrderNo: "Z" };

  it("goes on after the last order of a full batch", () => {
    expect(nextCursor(batch, 3, 3, previous)).toEqual({ updatedAt: at, mchtOrderNo: "C" });
  });

  it("starts again at the oldest after a batch that was not full", () => {
    expect(nextCursor(batch, 3, 4, previous)).toBeNull();
    expect(nextCursor([], 0, 4, previous)).toBeNull();
  });

  it("goes on after the last order asked about when the run stopped early", () => {
    expect(nextCursor(batch, 1, 4, previous)).toEqual({ updatedAt: at, mchtOrderNo: "A" });
    expect(nextCursor(batch, 0, 4, previous)).toBe(previous);
  });
});

describe("cursor encoding", () => {
  it("round-trips", () => {
    const c = { updatedAt: at, mchtOrderNo: "订单-1" };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each([null, "", "{", "[]", '{"updatedAt":"never","mchtOrderNo":"A"}', '{"updatedAt":"2026-01-01"}'])(
    "reads %j as no cursor",
    (text) => {
      expect(decodeCursor(text)).toBeNull();
    },
  );
});

describe("queryNotification", () => {
  it("is stamped just after the newest message known when asking, whatever the local time, and marked as the reconciler's", () => {
    expect(queryNotification(PAY_STATUS_NOTIFY, "{}", 1_555_816_968_018n, at)).toEqual({
      msgType: PAY_STATUS_NOTIFY,
      msgBody: "{}",
      timestamp: 1_555_816_968_019n,
      receivedAt: at,
      source: "payzero-query",
    });
    // An order no message was applied to yet (registered as expected): before any notification.
    expect(queryNotification(PAY_STATUS_NOTIFY, "{}", null, at).timestamp).toBe(1n);
  });
});

describe("startOffset", () => {
  it("spaces the queries at the rate", () => {
    expect([0, 1, 2, 5].map((i) => startOffset(i, 5))).toEqual([0, 200, 400, 1000]);
    expect([0, 1, 2].map((i) => startOffset(i, 3))).toEqual([0, 333, 666]);
  });
});

describe("the shares of a run", () => {
  it.each([
    [100, 10, 10],
    [3, 10, 1],
    [10, 50, 5],
    [1, 10, 0],
    [100, 0, 0],
    [4, 100, 3],
  ])("batch %i, %i%% abandoned → %i abandoned orders at most", (batchSize, abandonedSharePercent, share) => {
    expect(abandonedShare({ batchSize, abandonedSharePercent })).toBe(share);
  });

  const dayAgo = new Date(at.getTime() - 86_400_000);
  it("walks the abandoned orders apart: NOT_PAYED, PAY_FAILED or DECLARE_FAILED for a day", () => {
    const q = staleOrdersQuery(at, settings, null, { kind: "abandoned", exclude: ["R"], take: 1 });
    expect(q.take).toBe(1);
    expect(q.where.AND[5]).toEqual({
      mchtOrderNo: { notIn: ["R"] },
      updatedAt: { lt: dayAgo },
      OR: [{ payStatus: { in: ["NOT_PAYED", "PAY_FAILED"] } }, { declareStatus: "DECLARE_FAILED" }],
    });
  });

  it("keeps them, and the run's priority orders, out of the regular walk (an order with no status included)", () => {
    const q = staleOrdersQuery(at, settings, null, { kind: "regular", exclude: ["P"], take: 2 });
    expect(q.take).toBe(2);
    expect(q.where.AND[5]).toEqual({
      mchtOrderNo: { notIn: ["P"] },
      OR: [
        { updatedAt: { gte: dayAgo } },
        {
          AND: [
            { OR: [{ payStatus: null }, { payStatus: { notIn: ["NOT_PAYED", "PAY_FAILED"] } }] },
            { OR: [{ declareStatus: null }, { declareStatus: { not: "DECLARE_FAILED" } }] },
          ],
        },
      ],
    });
  });

  it("puts announced orders first whatever their state, and expected orders with no status once stale", () => {
    const q = priorityOrdersQuery(at, settings, ["R-1"], 2);
    expect(q.take).toBe(2);
    expect(q.where.AND[2]).toMatchObject({
      OR: [
        { mchtOrderNo: { in: ["R-1"] } },
        {
          AND: [
            {},
            {
              expectedAt: { not: null },
              payStatus: null,
              declareStatus: null,
              updatedAt: { lt: new Date("2026-11-26T11:45:00.000Z") },
            },
          ],
        },
      ],
    });
  });
});
