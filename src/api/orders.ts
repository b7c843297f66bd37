// GET /v1/orders/:mchtOrderNo and GET /v1/orders (filtered, cursor pages by mchtOrderNo).

import { ErrorReply, sendError } from "../ops/error-reply.js";
import { OrderJson, orderJson } from "../orders/json.js";
import { page, textCursor } from "./pagination.js";
import { Page } from "./schemas/common.js";
import { OrderParams, OrdersQuery } from "./schemas/orders.js";
import type { V1RouteModule } from "./v1.js";

export const orderRoutes: V1RouteModule = async (app, { db }) => {
  app.get(
    "/orders/:mchtOrderNo",
    {
      schema: {
        description: "One order's current state.",
        tags: ["orders"],
        params: OrderParams,
        response: { 200: OrderJson, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const order = await db.order.findUnique({ where: { mchtOrderNo: request.params.mchtOrderNo } });
      return order ? orderJson(order) : sendError(reply, 404, "no such order");
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
      const limit = request.query.limit ?? 50;
      const after = textCursor(cursor);
      const rows = await db.order.findMany({
        where: { payStatus, declareStatus, mchtOrderNo: after === undefined ? undefined : { gt: after } },
        orderBy: { mchtOrderNo: "asc" },
        take: limit + 1,
      });
      const result = page(rows, limit, (o) => o.mchtOrderNo);
      return { items: result.items.map(orderJson), nextCursor: result.nextCursor };
    },
  );
};
