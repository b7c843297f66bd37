// The apply step: one transaction stores a notification once, derives its order's state from the
// order's whole history, and inserts the outbox rows (fan-out). Shared by the notification worker
// and the reconciler.
import type { Db } from "../db/client.js";
import type { Prisma } from "../generated/prisma/client.js";
import { contentKey } from "../payzero/envelope.js";
import { type OrderResultDto, parseOrderResult } from "../payzero/orderResult.js";
import type { FanOut } from "./fanout.js";
import { orderJson } from "./json.js";
import { deriveOrder, ORDER_MSG_TYPES, type OrderMessage, type OrderState, sameState } from "./rules.js";

export interface IncomingNotification {
  msgType: string;
  /** Payzero's, ms since the epoch. */
  timestamp: bigint;
  msgBody: string;
  receivedAt: Date;
  source: "payzero-notify" | "payzero-query";
}

export interface ApplyResult {
  duplicate: boolean;
  notificationId: bigint | null;
  changedOrder: boolean;
  /** Why the message was stored without being applied to an order. */
  problem?: string | null;
  /** The order's statuses after this message (absent for duplicates and problems). */
  order?: { payStatus: string | null; declareStatus: string | null } | null;
}

type Tx = Prisma.TransactionClient;

const DUPLICATE: ApplyResult = { duplicate: true, notificationId: null, changedOrder: false };

export async function applyNotification(
  db: Db,
  input: IncomingNotification,
  fanOut: FanOut,
): Promise<ApplyResult> {
  const key = contentKey(input.msgType, input.msgBody);
  const parsed = parseOrderResult(input.msgBody);
  const known = ORDER_MSG_TYPES.includes(input.msgType);
  const problem = !known ? `unknown msgType ${input.msgType}` : parsed.ok ? null : parsed.problem;
  const mchtOrderNo = parsed.ok ? parsed.dto.mchtOrderNo : parsed.mchtOrderNo;
  let deliveryIds: bigint[] = [];
  try {
    const result = await db.$transaction(
      async (tx) => {
        if (problem === null) await lockOrder(tx, mchtOrderNo!);
        if (await tx.notification.findUnique({ where: { contentKey: key }, select: { id: true } }))
          return DUPLICATE;
        const applied = problem === null && parsed.ok ? await applyToOrder(tx, key, input, parsed.dto) : null;
        const stored = await tx.notification.create({
          data: {
            contentKey: key,
            msgType: input.msgType,
            timestamp: input.timestamp,
            msgBody: input.msgBody,
            source: input.source,
            mchtOrderNo,
            problem,
            changedOrder: applied?.changed ?? false,
            orderAfter: applied?.orderAfter ?? undefined,
            receivedAt: input.receivedAt,
          },
          select: { id: true },
        });
        deliveryIds = await fanOut.inTransaction(tx, { id: stored.id, msgType: input.msgType });
        return {
          duplicate: false,
          notificationId: stored.id,
          changedOrder: applied?.changed ?? false,
          problem,
          order: applied
            ? { payStatus: applied.orderAfter.payStatus, declareStatus: applied.orderAfter.declareStatus }
            : null,
        };
      },
      { maxWait: 10_000, timeout: 20_000 },
    );
    if (!result.duplicate) await fanOut.afterCommit(deliveryIds);
    return result;
  } catch (err) {
    // Two copies of a message that is not about an order raced past the lookup: the unique key decided.
    if (isUniqueViolation(err)) return DUPLICATE;
    throw err;
  }
}

/** Serialises every message of one order (across worker processes) for the rest of the transaction. */
async function lockOrder(tx: Tx, mchtOrderNo: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${mchtOrderNo}, 0))`;
}

async function applyToOrder(tx: Tx, key: string, input: IncomingNotification, dto: OrderResultDto) {
  const history = await tx.notification.findMany({
    where: { mchtOrderNo: dto.mchtOrderNo, problem: null, msgType: { in: [...ORDER_MSG_TYPES] } },
    select: { contentKey: true, msgType: true, timestamp: true, msgBody: true },
  });
  const messages: OrderMessage[] = [
    { contentKey: key, msgType: input.msgType, timestamp: input.timestamp, dto },
  ];
  for (const h of history) {
    const parsed = parseOrderResult(h.msgBody);
    if (parsed.ok) messages.push({ ...h, dto: parsed.dto });
  }
  const state = deriveOrder(messages);
  const before = await tx.order.findUnique({ where: { mchtOrderNo: dto.mchtOrderNo } });
  if (before && sameState(stateOf(before), state)) return { changed: false, orderAfter: orderJson(before) };
  const now = new Date();
  const order = await tx.order.upsert({
    where: { mchtOrderNo: dto.mchtOrderNo },
    create: { ...state, createdAt: now, updatedAt: now },
    update: { ...state, updatedAt: now },
  });
  return { changed: true, orderAfter: orderJson(order) };
}

function stateOf(order: OrderState & { createdAt: Date; updatedAt: Date }): OrderState {
  const { createdAt: _c, updatedAt: _u, ...state } = order;
  return state;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}
