// The order and notification as the /v1 API and the webhooks show them: money in fen as a JSON
// number, Payzero timestamps as numbers, ids as strings (they are 64-bit).
import { type Static, Type } from "typebox";
import type { Notification, Order } from "../generated/prisma/client.js";

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const OrderJson = Type.Object(
  {
    mchtOrderNo: Type.String(),
    paymentAmount: Type.Union([Type.Integer({ description: "fen" }), Type.Null()]),
    payerName: Type.Union([Type.String(), Type.Null()], {
      description: "personal data: null when not sent, or erased (see personalDataErasedAt)",
    }),
    payerNumber: Type.Union([Type.String(), Type.Null()], { description: "ID card number; personal data" }),
    payerPhone: Type.Union([Type.String(), Type.Null()], { description: "personal data" }),
    subject: NullableString,
    payStatus: NullableString,
    payStatusAt: NullableInteger,
    declareStatus: NullableString,
    declareStatusAt: NullableInteger,
    declareFailReason: NullableString,
    paymentOrderNo: NullableString,
    verDept: NullableString,
    payType: NullableString,
    initRequest: NullableString,
    initResponse: NullableString,
    paymentDatetime: NullableString,
    customsPayCompanyName: NullableString,
    customsPayCompanyCode: NullableString,
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
    expectedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
      description: "when the merchant registered the order as expected (POST /v1/orders/expected)",
    }),
    needDeclare: Type.Union([Type.Boolean(), Type.Null()], {
      description: "as registered: false = never declared to customs, finished once paid; null = not said",
    }),
    payzeroUnknownSince: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
      description: "an order with no status yet that Payzero's query API has not known since then",
    }),
    version: Type.Integer({
      minimum: 0,
      description:
        "+1 on every change of the order's state (0: registered, no message yet); webhooks carry it",
    }),
    personalDataErasedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
      description:
        "when the payer's personal data was erased (DELETE /v1/orders/{mchtOrderNo}/personal-data or PERSONAL_DATA_RETENTION_DAYS): the payer fields are null from then on, whatever later messages carry",
    }),
  },
  { description: "An order as derived from its notifications; paymentAmount in fen" },
);

export type OrderJson = {
  [K in keyof Order]: Order[K] extends bigint | null
    ? number | null
    : Order[K] extends Date
      ? string
      : Order[K] extends Date | null
        ? string | null
        : Order[K];
};

function num(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

export function orderJson(order: Order): OrderJson {
  return {
    ...order,
    paymentAmount: num(order.paymentAmount),
    payStatusAt: num(order.payStatusAt),
    declareStatusAt: num(order.declareStatusAt),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    expectedAt: order.expectedAt?.toISOString() ?? null,
    payzeroUnknownSince: order.payzeroUnknownSince?.toISOString() ?? null,
    personalDataErasedAt: order.personalDataErasedAt?.toISOString() ?? null,
  };
}

export const NotificationJson = Type.Object({
  id: Type.String(),
  msgType: Type.String(),
  timestamp: Type.Integer({ description: "Payzero's, ms since the epoch" }),
  msgBody: Type.Union([Type.String(), Type.Null()], {
    description:
      "payer fields masked without the personal-data scope (null then when it is not JSON); null once retention removed it (see prunedAt)",
  }),
  source: Type.String(),
  mchtOrderNo: NullableString,
  changedOrder: Type.Boolean(),
  applied: Type.Boolean({ description: "its statuses count in the order's state" }),
  problem: Type.Union([Type.String(), Type.Null()], {
    description: "why it was not applied, or (applied) which malformed fields were kept how",
  }),
  receivedAt: Type.String({ format: "date-time" }),
  storedAt: Type.String({ format: "date-time" }),
  prunedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "when retention (RETENTION_DAYS) removed its body; null: kept whole",
  }),
});

export type NotificationJson = Static<typeof NotificationJson>;

export function notificationJson(n: Notification): NotificationJson {
  return {
    id: String(n.id),
    msgType: n.msgType,
    timestamp: Number(n.timestamp),
    msgBody: n.msgBody,
    source: n.source,
    mchtOrderNo: n.mchtOrderNo,
    changedOrder: n.changedOrder,
    applied: n.applied,
    problem: n.problem,
    receivedAt: n.receivedAt.toISOString(),
    storedAt: n.storedAt.toISOString(),
    prunedAt: n.prunedAt?.toISOString() ?? null,
  };
}
