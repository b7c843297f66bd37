// GET /v1/orders/:mchtOrderNo and GET /v1/orders (filtered, cursor pages by mchtOrderNo).

import { Type } from "typebox";
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { OrderJson } from "../orders/json.js";
import { getOrder, listOrders } from "../orders/orders.js";
import { RefundJson } from "../refunds/json.js";
import { isRefusal } from "../refusal.js";
import { cursorAfter, textCursor } from "./pagination.js";
import { Page } from "./schemas/common.js";
import { OrderParams, OrdersQuery } from "./schemas/orders.js";
import { seesPersonalData } from "./scopes.js";
import type { V1RouteModule } from "./v1.js";

const OrderWithRefunds = Type.Object(
  {
    ...OrderJson.properties,
    refunds: Type.Array(RefundJson, { description: "registered with POST /v1/refunds" }),
  },
  { description: "An order as derived from its notifications, with its refunds; amounts in fen" },
);

export const orderRoutes: V1RouteModule = async (app, { orders }) => {
  app.get(
    "/orders/:mchtOrderNo",
    {
      schema: {
        description:
          "One order's current state (payer fields masked without the personal-data scope), with the refunds registered for it (POST /v1/refunds).",
        tags: ["orders"],
        params: OrderParams,
        response: { 200: OrderWithRefunds, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const order = await getOrder(orders, {
        mchtOrderNo: request.params.mchtOrderNo,
        personalData: seesPersonalData(request),
      });
      return isRefusal(order) ? sendError(reply, order.code, order.message) : order;
    },
  );

  app.get(
    "/orders",
    {
      schema: {
        description: "Orders by status, in mchtOrderNo order.",
        tags: ["orders"],
        querystring: OrdersQuery,
        response: { 200: Page(OrderJson), "4xx": ErrorReply },
      },
    },
    async (request) => {
      const { payStatus, declareStatus, cursor } = request.query;
      const result = await listOrders(orders, {
        payStatus,
        declareStatus,
        after: textCursor(cursor),
        limit: request.query.limit ?? 50,
        personalData: seesPersonalData(request),
      });
      return { items: result.items, nextCursor: cursorAfter(result.next) };
    },
  );
};
