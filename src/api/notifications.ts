// GET /v1/notifications: the stored history, newest first, cursor pages by id.
import { Type } from "typebox";
import { NotificationJson, notificationJson } from "../orders/json.js";
import { Cursor, decodeIdCursor, ErrorReply, Limit, page } from "./pagination.js";
import { sendError } from "./reply.js";
import type { V1RouteModule } from "./v1.js";

export const notificationRoutes: V1RouteModule = async (app, { db }) => {
  app.get(
    "/notifications",
    {
      schema: {
        description: "Stored notifications (each distinct message once), newest first.",
        tags: ["notifications"],
        querystring: Type.Object(
          {
            mchtOrderNo: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            msgType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Cursor),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(NotificationJson),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const q = request.query as { mchtOrderNo?: string; msgType?: string; limit?: number; cursor?: string };
      const limit = q.limit ?? 50;
      const before = q.cursor === undefined ? undefined : decodeIdCursor(q.cursor);
      if (q.cursor !== undefined && before === undefined) {
        return sendError(reply, 400, "querystring/cursor is not valid");
      }
      const rows = await db.notification.findMany({
        where: {
          mchtOrderNo: q.mchtOrderNo,
          msgType: q.msgType,
          id: before === undefined ? undefined : { lt: before },
        },
        orderBy: { id: "desc" },
        take: limit + 1,
      });
      const result = page(rows, limit, (n) => n.id);
      return { items: result.items.map(notificationJson), nextCursor: result.nextCursor };
    },
  );
};
