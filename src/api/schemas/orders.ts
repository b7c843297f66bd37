// Schemas of /v1/orders and /v1/orders/expected. The order's JSON is orders/json.ts (webhooks carry it too).
import { Type } from "typebox";
import { MAX_EXPECTED, MAX_ORDER_NO_LENGTH } from "../../orders/expected.js";
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
