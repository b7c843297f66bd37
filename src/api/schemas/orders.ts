// Schemas of /v1/orders and /v1/orders/expected. The order's JSON is orders/json.ts (webhooks carry it too).
import { Type } from "typebox";
import { MAX_EXPECTED, MAX_ORDER_NO_LENGTH } from "../../orders/expected.js";
import { OrderJson } from "../../orders/json.js";
import { Cursor, Limit } from "./common.js";

const Status = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Z_]+$" });

export const OrderParams = Type.Object({
  mchtOrderNo: Type.String({ minLength: 1, maxLength: MAX_ORDER_NO_LENGTH }),
});

export const OrdersQuery = Type.Object(
  {
    payStatus: Type.Optional(Status),
    declareStatus: Type.Optional(Status),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ExpectedBody = Type.Object(
  {
    mchtOrderNos: Type.Array(Type.String({ minLength: 1, maxLength: MAX_ORDER_NO_LENGTH }), {
      minItems: 1,
      maxItems: MAX_EXPECTED,
      description: `1 to ${MAX_EXPECTED} merchant order numbers (repeats count once)`,
    }),
    needDeclare: Type.Optional(
      Type.Boolean({
        description:
          "as given to Payzero (sections 4.1/5.3/6.1): false = never declared, so finished once paid; absent = unchanged",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ExpectedReply = Type.Object({
  expected: Type.Integer({ description: "distinct order numbers given" }),
  added: Type.Integer({ description: "of those, the ones not known before" }),
});

export const RetryBody = Type.Object(
  {
    kind: Type.String({
      description:
        '"pay": the merchant asked Payzero to pay again (sections 2.7, 4.2, 5.5, 6.2); "declare": to declare again (8.1)',
    }),
  },
  { additionalProperties: false },
);

/** The order with the payer's data masked: an orders:expect token does not read personal data. */
const MaskedOrder = Type.Union([OrderJson, Type.Null()]);

export const RetryReply = Type.Object({
  mchtOrderNo: Type.String(),
  kind: Type.Union([Type.Literal("pay"), Type.Literal("declare")]),
  generation: Type.Integer({
    description: "1 for the first announcement of this kind, +1 for each after one was used",
  }),
  announcedAt: Type.String({ format: "date-time" }),
  added: Type.Boolean({
    description: "false: this kind's announcement was still pending and stands unchanged",
  }),
  registered: Type.Boolean({ description: "the order was not known and is now registered as expected" }),
  order: MaskedOrder,
});

const NullableText = Type.Union([Type.String(), Type.Null()]);

export const QueryReply = Type.Object({
  order: MaskedOrder,
  payzero: Type.Object({
    known: Type.Boolean({ description: 'false: every query path answered "no such order"' }),
    path: Type.Union([Type.Literal("/order/queryOrder"), Type.Literal("/order/feedback"), Type.Null()]),
    payStatus: NullableText,
    declareStatus: NullableText,
    declareFailReason: NullableText,
    message: Type.Union([Type.String(), Type.Null()], {
      description: "Payzero's words when it does not know the order",
    }),
    applied: Type.Array(Type.String(), {
      description:
        "the messages the answer was applied as (source payzero-query), one per status that differed",
    }),
    changedOrder: Type.Boolean(),
  }),
});
