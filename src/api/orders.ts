// GET /v1/orders/:mchtOrderNo and GET /v1/orders (filtered, cursor pages by mchtOrderNo).
import { Type } from "typebox";
import { OrderJson, orderJson } from "../orders/json.js";
import { Cursor, decodeTextCursor, ErrorReply, Limit, page } from "./pagination.js";
import { sendError } from "./reply.js";
import type { V1RouteModule } from "./v1.js";

const Status = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Z_]+$" });

export const orderRoutes: V1RouteModule = async (app, { db }) => {
  app.get(
    "/orders/:mchtOrderNo",
    {
      schema: {
        description: "One order's current state.",
        tags: ["orders"],
        params: Type.Object({ mchtOrderNo: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: OrderJson, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const { mchtOrderNo } = request.params as { mchtOrderNo: string };
      const order = await db.order.findUnique({ where: { mchtOrderNo } });
      if (!order)
        return reply.code(404).send({ statusCode: 404, error: "Not Found", message: "no such order" });
      return orderJson(order);
    },
  );

  app.get(
    "/orders",
    {
      schema: {
        description: "Orders by status, in mchtOrderNo order.",
        tags: ["orders"],
        querystring: Type.Object(
          {
            payStatus: Type.Optional(Status),
            declareStatus: Type.Optional(Status),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Cursor),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(OrderJson),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const q = request.query as {
        payStatus?: string;
        declareStatus?: string;
        limit?: number;
        cursor?: string;
      };
      const limit = q.limit ?? 50;
      const after = q.cursor === undefined ? undefined : decodeTextCursor(q.cursor);
      if (q.cursor !== undefined && after === undefined) {
        return sendError(reply, 400, "querystring/cursor is not valid");
      }
      const rows = await db.order.findMany({
        where: {
          payStatus: q.payStatus,
          declareStatus: q.declareStatus,
          mchtOrderNo: after === undefined ? undefined : { gt: after },
        },
        orderBy: { mchtOrderNo: "asc" },
        take: limit + 1,
      });
      const result = page(rows, limit, (o) => o.mchtOrderNo);
      return { items: result.items.map(orderJson), nextCursor: result.nextCursor };
    },
  );
};
