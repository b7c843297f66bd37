// GET /v1/notifications: the stored history, newest first, cursor pages by id; GET /v1/notifications/:id.
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { NotificationJson } from "../orders/json.js";
import { getNotification, listNotifications } from "../orders/notifications.js";
import { isRefusal } from "../refusal.js";
import { cursorAfter, idCursor } from "./pagination.js";
import { Page } from "./schemas/common.js";
import { NotificationParams, NotificationsQuery } from "./schemas/notifications.js";
import { seesPersonalData } from "./scopes.js";
import type { V1RouteModule } from "./v1.js";

export const notificationRoutes: V1RouteModule = async (app, { orders }) => {
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
      const result = await listNotifications(orders, {
        mchtOrderNo,
        msgType,
        before: idCursor(cursor),
        limit: request.query.limit ?? 50,
        personalData: seesPersonalData(request),
      });
      return { items: result.items, nextCursor: cursorAfter(result.next) };
    },
  );

  app.get(
    "/notifications/:id",
    {
      schema: {
        description: "One stored notification.",
        tags: ["notifications"],
        params: NotificationParams,
        response: { 200: NotificationJson, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const n = await getNotification(orders, {
        id: BigInt(request.params.id),
        personalData: seesPersonalData(request),
      });
      return isRefusal(n) ? sendError(reply, n.code, n.message) : n;
    },
  );
};
