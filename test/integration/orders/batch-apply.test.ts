// Group commit must not change what is stored: applying a sequence of messages in batches
// (applyNotifications, one transaction per batch) gives the same results, order rows and
// notification rows as applying them one per transaction in the same order (applyNotification).
// Both sides run on real Postgres, each in a database of its own, so the message bodies, and with
// them the content keys (and deriveOrder's tie-breaks on them), are the same on both sides.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import type { Order } from "../../../src/generated/prisma/client.js";
import { type ApplyResult, applyNotification, applyNotifications } from "../../../src/orders/apply.js";
import { orderJson } from "../../../src/orders/json.js";
import { takenType } from "../../../src/orders/message-type.js";
import { type IncomingNotification, noFanOut } from "../../../src/orders/notification.js";
import {
  deriveOrder,
  type OrderMessage,
  type OrderState,
  sameState,
} from "../../../src/orders/order-state.js";
import { openBody, openOrder, openSnapshot } from "../../../src/orders/personal-data.js";
import {
  bodyKey,
  DECLARE_STATUS_NOTIFY,
  PAY_STATUS_NOTIFY,
  PAYZERO_MSG_TYPES,
  signedKey,
  unsignedKey,
} from "../../../src/payzero/envelope.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { DECLARE_STATUSES, PAY_STATUSES } from "../../../src/payzero/statuses.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { orderBody } from "../../support/payzero.js";

interface Side {
  database: TestDatabase;
  db: Db;
}

let single: Side;
let batched: Side;

async function openSide(): Promise<Side> {
  const database = await createTestDatabase();
  return { database, db: createDb(database.url, 4) };
}

beforeAll(async () => {
  [single, batched] = await Promise.all([openSide(), openSide()]);
});
afterAll(async () => {
  for (const side of [single, batched]) {
    if (!side) continue;
    await side.db.$disconnect();
    await side.database.drop();
  }
});

// --- Messages, described abstractly and made concrete under a run's tag -------------------------

const ORDERS = ["A", "B", "C"] as const;

type Spec =
  | {
      kind: "order";
      msgType: string;
      order: number;
      payStatus: string | null;
      declareStatus: string | null;
      declareFailReason: string | null;
      paymentAmount: number;
      payerName: string;
      ts: number;
    }
  /** About an order, paymentAmount not whole fen: applied, the amount left out and reported. */
  | { kind: "badAmount"; order: number; ts: number }
  /** Not an order at all. */
  | { kind: "notJson" | "noOrderNo"; n: number; ts: number }
  /** A copy of an earlier message (same msgType and msgBody), with its timestamp or another one. */
  | { kind: "repeat"; back: number; ts: number | null }
  /** An earlier message's body under the other order msgType: a new message, often changing nothing. */
  | { kind: "otherType"; back: number; ts: number };

const ts = fc.integer({ min: 1, max: 12 });

/** How far back the message copied from is: mostly one of the last few, so often in the same batch. */
const back = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) },
  fc.integer({ min: 1, max: 30 }),
);

/** Mostly `usual`, sometimes `rare`: few enough variants that later messages often change nothing. */
const mostly = <T>(usual: T, rare: T) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constant(rare) });

const orderSpec = fc.record({
  kind: fc.constant("order" as const),
  msgType: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(PAY_STATUS_NOTIFY, DECLARE_STATUS_NOTIFY) },
    { weight: 2, arbitrary: fc.constant("REFUND_STATUS_NOTIFY") },
  ),
  order: fc.integer({ min: 0, max: ORDERS.length - 1 }),
  payStatus: fc.constantFrom<string | null>(...PAY_STATUSES, "PAY_CANCELLED", null),
  declareStatus: fc.constantFrom<string | null>(...DECLARE_STATUSES, null),
  declareFailReason: mostly<string | null>(null, "customs said no"),
  paymentAmount: mostly(35302, 100),
  payerName: mostly("周Xx", "李Yy"),
  ts,
});

const specArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 12, arbitrary: orderSpec },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("repeat" as const), back, ts: fc.option(ts) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("otherType" as const), back, ts }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("badAmount" as const), order: fc.nat({ max: 2 }), ts }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("notJson" as const, "noOrderNo" as const),
      n: fc.nat({ max: 3 }),
      ts,
    }),
  },
);

/** Sizes of consecutive batches, used in turn until every message has a batch (64: all the rest). */
const sizesArb = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) },
    { weight: 1, arbitrary: fc.constant(64) },
  ),
  { minLength: 1, maxLength: 8 },
);

function materialize(specs: Spec[], tag: string): IncomingNotification[] {
  const out: IncomingNotification[] = [];
  for (const [i, spec] of specs.entries()) {
    const receivedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
    const base = { receivedAt, source: "payzero-notify" as const };
    switch (spec.kind) {
      case "order":
        out.push({
          ...base,
          msgType: spec.msgType,
          timestamp: BigInt(1000 + spec.ts),
          msgBody: orderBody({
            mchtOrderNo: `${tag}-${ORDERS[spec.order]}`,
            payStatus: spec.payStatus,
            declareStatus: spec.declareStatus,
            declareFailReason: spec.declareFailReason,
            paymentAmount: spec.paymentAmount,
            payerName: spec.payerName,
          }),
        });
        break;
      case "badAmount":
        out.push({
          ...base,
          msgType: PAY_STATUS_NOTIFY,
          timestamp: BigInt(1000 + spec.ts),
          msgBody: orderBody({ mchtOrderNo: `${tag}-${ORDERS[spec.order]}`, paymentAmount: 1.5 }),
        });
        break;
      case "notJson":
        out.push({
          ...base,
          msgType: PAY_STATUS_NOTIFY,
          timestamp: BigInt(1000 + spec.ts),
          msgBody: `not json ${tag} ${spec.n}`,
        });
        break;
      case "noOrderNo":
        out.push({
          ...base,
          msgType: DECLARE_STATUS_NOTIFY,
          timestamp: BigInt(1000 + spec.ts),
          msgBody: JSON.stringify({ tag, n: spec.n, payStatus: "PAY_SUCCEED" }),
        });
        break;
      case "otherType": {
        const earlier = earlierMessage(out, spec.back);
        const msgType = earlier?.msgType === PAY_STATUS_NOTIFY ? DECLARE_STATUS_NOTIFY : PAY_STATUS_NOTIFY;
        const msgBody = earlier?.msgBody ?? orderBody({ mchtOrderNo: `${tag}-${ORDERS[0]}` });
        out.push({ ...base, msgType, msgBody, timestamp: BigInt(1000 + spec.ts) });
        break;
      }
      case "repeat": {
        const earlier = earlierMessage(out, spec.back);
        if (!earlier) {
          out.push({
            ...base,
            msgType: PAY_STATUS_NOTIFY,
            timestamp: 1000n,
            msgBody: `not json ${tag} first`,
          });
        } else {
          const timestamp = spec.ts === null ? earlier.timestamp : BigInt(1000 + spec.ts);
          out.push({ ...base, msgType: earlier.msgType, msgBody: earlier.msgBody, timestamp });
        }
        break;
      }
    }
  }
  return out;
}

function earlierMessage(out: IncomingNotification[], back: number): IncomingNotification | undefined {
  return out.length === 0 ? undefined : out[out.length - 1 - ((back - 1) % out.length)];
}

function partition<T>(items: T[], sizes: number[]): T[][] {
  const batches: T[][] = [];
  for (let at = 0, i = 0; at < items.length; i++) {
    const size = sizes[i % sizes.length]!;
    batches.push(items.slice(at, at + size));
    at += size;
  }
  return batches;
}

// --- The oracle: one message at a time, in memory, with the pure rules ---------------------------

interface Expected {
  /** The content key it is stored under (none for a duplicate). */
  key: string | null;
  duplicate: boolean;
  applies: boolean;
  changedOrder: boolean;
  state: VersionedState | null;
}

/** An order's state and its version: the number of messages that changed it. */
type VersionedState = OrderState & { version: number };

function model(inputs: IncomingNotification[]): {
  perMessage: Expected[];
  finals: Map<string, VersionedState>;
} {
  const seen = new Set<string>();
  const seenBodies = new Set<string>();
  const histories = new Map<string, OrderMessage[]>();
  const finals = new Map<string, VersionedState>();
  const duplicate: Expected = {
    key: null,
    duplicate: true,
    applies: false,
    changedOrder: false,
    state: null,
  };
  const perMessage = inputs.map((input): Expected => {
    const parsed = parseOrderResult(input.msgBody);
    // The type it is taken as: the body's only status decides against msgType (message-type.ts).
    const msgType = takenType(input.msgType, parsed.ok ? parsed.dto : null).msgType;
    const applies = parsed.ok && PAYZERO_MSG_TYPES.includes(msgType);
    const key = input.sign ? signedKey(input.sign) : unsignedKey(msgType, input.msgBody, input.timestamp);
    if (seen.has(key)) return duplicate;
    if (seenBodies.has(bodyKey(input.msgBody))) {
      // The same body again is stored only as a new state: it moves a status (docs/payzero.md, "Order state").
      if (!applies || !parsed.ok) return duplicate;
      const no = parsed.dto.mchtOrderNo;
      const before = finals.get(no);
      const after = deriveOrder([
        ...(histories.get(no) ?? []),
        { contentKey: key, msgType: msgType, timestamp: input.timestamp, dto: parsed.dto },
      ]);
      if (before && after.payStatus === before.payStatus && after.declareStatus === before.declareStatus)
        return duplicate;
    }
    seen.add(key);
    seenBodies.add(bodyKey(input.msgBody));
    if (!applies || !parsed.ok)
      return { key, duplicate: false, applies: false, changedOrder: false, state: null };
    const no = parsed.dto.mchtOrderNo;
    const history = [
      ...(histories.get(no) ?? []),
      { contentKey: key, msgType: msgType, timestamp: input.timestamp, dto: parsed.dto },
    ];
    histories.set(no, history);
    const derived = deriveOrder(history);
    const before = finals.get(no);
    const changedOrder = !before || !sameState(derived, before);
    const state = { ...derived, version: (before?.version ?? 0) + (changedOrder ? 1 : 0) };
    finals.set(no, state);
    return { key, duplicate: false, applies: true, changedOrder, state };
  });
  return { perMessage, finals };
}

// --- Reading what a side stored -------------------------------------------------------------------

const EPOCH = new Date(0);

/** The API's JSON of an order state, without its createdAt/updatedAt. */
function stateJson(state: VersionedState): Record<string, unknown> {
  const {
    createdAt: _c,
    updatedAt: _u,
    ...rest
  } = orderJson({
    ...state,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    expectedAt: null,
    needDeclare: null,
    payzeroUnknownSince: null,
    personalDataErasedAt: null,
  });
  return rest;
}

function withoutTimestamps(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const { createdAt: _c, updatedAt: _u, ...rest } = value as Record<string, unknown>;
  return rest;
}

interface NotificationRow {
  id: bigint;
  content_key: string;
  msg_type: string;
  timestamp: bigint;
  msg_body: string;
  source: string;
  mcht_order_no: string | null;
  problem: string | null;
  changed_order: boolean;
  order_after: unknown;
  received_at: Date;
}

/** This run's notifications in id order (every body holds the run's tag), ids and order timestamps left out. */
async function storedNotifications(db: Db, tag: string) {
  const rows = await db.$queryRaw<NotificationRow[]>`
    SELECT id, content_key, msg_type, timestamp, msg_body, source, mcht_order_no, problem, changed_order,
           order_after, received_at
      FROM notifications ORDER BY id`;
  // Sealed at rest (random IVs): compared as they open.
  const opened = rows
    .map((r) => ({
      ...r,
      msg_body: openBody(r.content_key, r.msg_body),
      order_after: openSnapshot(r.content_key, r.order_after),
    }))
    .filter((r) => r.msg_body.includes(tag));
  return {
    idByKey: new Map(opened.map((r) => [r.content_key, r.id])),
    rows: opened.map(({ id: _id, order_after, ...rest }) => ({
      ...rest,
      order_after: withoutTimestamps(order_after),
    })),
  };
}

async function storedOrders(db: Db, tag: string): Promise<Array<Omit<Order, "createdAt" | "updatedAt">>> {
  const orders = await db.order.findMany({
    where: { mchtOrderNo: { startsWith: `${tag}-` } },
    orderBy: { mchtOrderNo: "asc" },
  });
  return orders.map((o) => openOrder(o)).map(({ createdAt: _c, updatedAt: _u, ...rest }) => rest);
}

/** What an ApplyResult says, apart from the notification id. */
function shape(r: ApplyResult) {
  return {
    duplicate: r.duplicate,
    changedOrder: r.changedOrder,
    problem: r.problem ?? null,
    order: r.order ?? null,
    hasId: r.notificationId !== null,
  };
}

function checkIds(expected: Expected[], results: ApplyResult[], idByKey: Map<string, bigint>) {
  for (const [i, r] of results.entries()) {
    if (r.duplicate) continue;
    expect(r.notificationId, `message ${i}`).toBe(idByKey.get(expected[i]!.key!));
  }
}

/** A message about order `no`, received now. */
function orderMessage(
  no: string,
  msgType: string,
  timestamp: number,
  fields: Record<string, unknown>,
): IncomingNotification {
  return {
    msgType,
    timestamp: BigInt(timestamp),
    msgBody: orderBody({ mchtOrderNo: no, ...fields }),
    receivedAt: new Date(),
    source: "payzero-notify",
  };
}

let runs = 0;

describe("applyNotifications (one transaction per batch)", () => {
  it("stores and answers exactly as one transaction per message, in the same order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 30, size: "max" }),
        sizesArb,
        async (specs, sizes) => {
          const tag = `bt${++runs}x`;
          const inputs = materialize(specs, tag);

          const oneByOne: ApplyResult[] = [];
          for (const input of inputs) oneByOne.push(await applyNotification(single.db, input, noFanOut));
          const inBatches: ApplyResult[] = [];
          for (const batch of partition(inputs, sizes)) {
            const results = await applyNotifications(batched.db, batch, noFanOut);
            expect(results).toHaveLength(batch.length);
            inBatches.push(...results);
          }

          // The one-by-one side against the pure rules, so that a fault common to both sides shows too.
          const { perMessage, finals } = model(inputs);
          expect(oneByOne.map((r) => r.duplicate)).toEqual(perMessage.map((e) => e.duplicate));
          for (const [i, e] of perMessage.entries()) {
            const r = oneByOne[i]!;
            if (e.duplicate) continue;
            expect(r.changedOrder, `message ${i}`).toBe(e.changedOrder);
            expect(r.applied, `message ${i}`).toBe(e.applies);
            if (!e.applies) expect(r.problem, `message ${i}`).toEqual(expect.any(String));
            expect(r.order ?? null, `message ${i}`).toEqual(
              e.state ? { payStatus: e.state.payStatus, declareStatus: e.state.declareStatus } : null,
            );
          }

          // The two sides against each other.
          expect(inBatches.map(shape)).toEqual(oneByOne.map(shape));

          const storedSingle = await storedNotifications(single.db, tag);
          const storedBatched = await storedNotifications(batched.db, tag);
          expect(storedBatched.rows).toEqual(storedSingle.rows);
          expect(storedSingle.rows).toHaveLength(perMessage.filter((e) => !e.duplicate).length);
          expect(storedSingle.rows.map((r) => r.order_after)).toEqual(
            perMessage.filter((e) => !e.duplicate).map((e) => (e.state ? stateJson(e.state) : null)),
          );
          checkIds(perMessage, oneByOne, storedSingle.idByKey);
          checkIds(perMessage, inBatches, storedBatched.idByKey);

          const ordersSingle = await storedOrders(single.db, tag);
          expect(await storedOrders(batched.db, tag)).toEqual(ordersSingle);
          const registration = {
            expectedAt: null,
            needDeclare: null,
            payzeroUnknownSince: null,
            personalDataErasedAt: null,
          };
          expect(ordersSingle).toEqual(
            [...finals.keys()].sort().map((no) => ({ ...finals.get(no), ...registration })),
          );
        },
      ),
      { numRuns: 20 },
    );
    // 20 histories, each applied twice against Postgres and read back: near 30 s on a loaded machine.
  }, 90_000);

  it("one batch with two copies of a message and three messages of one order: one duplicate, the right order", async () => {
    const no = "EX-1";
    const message = (msgType: string, timestamp: number, fields: Record<string, unknown>) =>
      orderMessage(no, msgType, timestamp, fields);
    const applied = message(PAY_STATUS_NOTIFY, 1000, {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
    });
    const succeeded = message(PAY_STATUS_NOTIFY, 2000, {
      payStatus: "PAY_SUCCEED",
      declareStatus: "NOT_DECLARED",
    });
    const declaring = message(DECLARE_STATUS_NOTIFY, 3000, {
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARING",
      payerName: "李Yy",
    });

    const results = await applyNotifications(
      batched.db,
      [applied, succeeded, { ...applied }, declaring],
      noFanOut,
    );

    expect(results.map(shape)).toEqual([
      {
        duplicate: false,
        changedOrder: true,
        problem: null,
        order: { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" },
        hasId: true,
      },
      {
        duplicate: false,
        changedOrder: true,
        problem: null,
        order: { payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" },
        hasId: true,
      },
      { duplicate: true, changedOrder: false, problem: null, order: null, hasId: false },
      {
        duplicate: false,
        changedOrder: true,
        problem: null,
        order: { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" },
        hasId: true,
      },
    ]);

    const order = openOrder(await batched.db.order.findUniqueOrThrow({ where: { mchtOrderNo: no } }));
    expect(order).toMatchObject({
      payStatus: "PAY_SUCCEED",
      payStatusAt: 2000n,
      declareStatus: "DECLARING",
      declareStatusAt: 3000n,
      payerName: "李Yy",
    });
    const rows = await batched.db.notification.findMany({
      where: { mchtOrderNo: no },
      orderBy: { id: "asc" },
    });
    expect(rows.map((r) => [r.timestamp, r.changedOrder])).toEqual([
      [1000n, true],
      [2000n, true],
      [3000n, true],
    ]);
    expect(rows.map((r) => r.id)).toEqual([
      results[0]!.notificationId,
      results[1]!.notificationId,
      results[3]!.notificationId,
    ]);

    // The same four again, now all stored: every one a duplicate, nothing changes.
    const again = await applyNotifications(batched.db, [applied, succeeded, applied, declaring], noFanOut);
    const duplicate = { duplicate: true, changedOrder: false, problem: null, order: null, hasId: false };
    expect(again.map(shape)).toEqual([duplicate, duplicate, duplicate, duplicate]);
    expect(await batched.db.notification.count({ where: { mchtOrderNo: no } })).toBe(3);
  });

  it("leaves a stored message that was not applied (unknown msgType) out of the order when a batch repeats it", async () => {
    const no = "EX-2";
    // Not applied: an order's body under a msgType the rules do not know. Its PAY_SUCCEED must never count.
    const refund = orderMessage(no, "REFUND_STATUS_NOTIFY", 5000, { payStatus: "PAY_SUCCEED" });
    const [stored] = await applyNotifications(batched.db, [refund], noFanOut);
    expect(stored).toMatchObject({
      duplicate: false,
      changedOrder: false,
      problem: expect.any(String),
      order: null,
    });
    expect(await batched.db.order.count({ where: { mchtOrderNo: no } })).toBe(0);

    // The repeat makes the batch read the stored row (by content key) next to the order's history.
    const applied = orderMessage(no, PAY_STATUS_NOTIFY, 1000, { payStatus: "PAY_APPLIED" });
    const results = await applyNotifications(batched.db, [{ ...refund }, applied], noFanOut);
    expect(results.map(shape)).toEqual([
      { duplicate: true, changedOrder: false, problem: null, order: null, hasId: false },
      {
        duplicate: false,
        changedOrder: true,
        problem: null,
        order: { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" },
        hasId: true,
      },
    ]);
    expect(await batched.db.order.findUniqueOrThrow({ where: { mchtOrderNo: no } })).toMatchObject({
      payStatus: "PAY_APPLIED",
      payStatusAt: 1000n,
    });
  });

  it("applies a message whose body escapes a NUL or a lone surrogate in a field the state does not need, leaving it out; one in its order number is a problem", async () => {
    // Escaped inside msgBody, so the envelope holds neither and ingest queues it; Postgres text holds
    // no NUL and jsonb (order_after) neither, nor a lone surrogate.
    const good = orderMessage("EX-3", PAY_STATUS_NOTIFY, 1000, { payStatus: "PAY_APPLIED" });
    const nul = orderMessage("EX-3", PAY_STATUS_NOTIFY, 2000, {
      payStatus: "PAY_SUCCEED",
      payerName: "a\u0000b",
    });
    const surrogate = orderMessage("EX-3", PAY_STATUS_NOTIFY, 3000, { subject: "\ud800" });
    const nulOrderNo = orderMessage("EX-3\u0000", PAY_STATUS_NOTIFY, 4000, {});
    const other = orderMessage("EX-4", PAY_STATUS_NOTIFY, 1000, { payStatus: "PAY_SUCCEED" });
    expect(nul.msgBody).not.toContain("\u0000");

    const results = await applyNotifications(batched.db, [good, nul, surrogate, nulOrderNo, other], noFanOut);
    expect(
      results.map((r) => [r.duplicate, r.notificationId !== null, r.applied, r.problem ?? null]),
    ).toEqual([
      [false, true, true, null],
      [false, true, true, "payerName is not text: left out (msgBody has it)"],
      [false, true, true, "subject is not text: left out (msgBody has it)"],
      [false, true, false, "msgBody has no mchtOrderNo"],
      [false, true, true, null],
    ]);
    expect(await batched.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "EX-3" } })).toMatchObject({
      payStatus: "PAY_SUCCEED",
      payStatusAt: 2000n,
      payerName: null,
    });
    expect(await batched.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "EX-4" } })).toMatchObject({
      payStatus: "PAY_SUCCEED",
    });
  });
});
