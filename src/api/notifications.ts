// GET /v1/notifications: the stored history, newest first, cursor pages by id.
import { ErrorReply } from "../ops/error-reply.js";
import { NotificationJson, notificationJson } from "../orders/json.js";
import { idCursor, page } from "./pagination.js";
import { Page } from "./schemas/common.js";
import { NotificationsQuery } from "./schemas/notifications.js";
import type { V1RouteModule } from "./v1.js";

export const notificationRoutes: V1RouteModule = async (app, { db }) => {
  app.get(
    "/notifications",
    {
      schema: {
        description: "Stored notifications (each distinct message once), newest first.",
        tags: ["notifications"],
        querystring: NotificationsQuery,
        response: { 200: Page(NotificationJson), "4xx": ErrorReply },
      },
    },
    async (request) => {
      const { mchtOrderNo, msgType, cursor } = request.query;
      const limit = request.query.limit ?? 50;
      const before = idCursor(cursor);
      const rows = await db.notification.findMany({
        where: { mchtOrderNo, msgType, id: before === undefined ? undefined : { lt: before } },
        orderBy: { id: "desc" },
        take: limit + 1,
      });
      const result = page(rows, limit, (n) => n.id);
      return { items: result.items.map(notificationJson), nextCursor: result.nextCursor };
    },
  );
};
