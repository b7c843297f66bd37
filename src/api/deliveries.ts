// /v1/deliveries: the outbox as the merchant sees it (status and attempts), and manual retries; each
// route a delivery operation (webhooks/delivery/operations.ts) for the admin token.
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { isRefusal } from "../refusal.js";
import { getDelivery, listDeliveries, retryDelivery } from "../webhooks/delivery/operations.js";
import { cursorAfter, idCursor } from "./pagination.js";
import { DeliveriesQuery, DeliveryPage, DeliveryParams, DeliveryView } from "./schemas/deliveries.js";
import type { V1RouteModule } from "./v1.js";

const errors = { "4xx": ErrorReply };

export const deliveryRoutes: V1RouteModule = async (app, { webhooks }) => {
  const tags = ["deliveries"];

  app.get(
    "/deliveries",
    {
      schema: {
        tags,
        description: "Deliveries, newest first, with their attempts.",
        querystring: DeliveriesQuery,
        response: { 200: DeliveryPage, ...errors },
      },
    },
    async (request) => {
      const { status, webhookId } = request.query;
      const limit = request.query.limit ?? 50;
      const before = idCursor(request.query.cursor);
      const { items, next } = await listDeliveries(webhooks, { status, webhookId, limit, before });
      return { items: items.map((i) => i.delivery), nextCursor: cursorAfter(next) };
    },
  );

  app.get(
    "/deliveries/:id",
    {
      schema: {
        tags,
        description: "One delivery with its attempts.",
        params: DeliveryParams,
        response: { 200: DeliveryView, ...errors },
      },
    },
    async (request, reply) => {
      const found = await getDelivery(webhooks, request.params.id);
      return isRefusal(found) ? sendError(reply, found.code, found.message) : found.delivery;
    },
  );

  app.post(
    "/deliveries/:id/retry",
    {
      schema: {
        tags,
        description: "Re-sends a failed delivery now (one attempt; failed again if it fails).",
        params: DeliveryParams,
        response: { 202: DeliveryView, ...errors },
      },
    },
    async (request, reply) => {
      const retried = await retryDelivery(webhooks, request.actor, request.params.id);
      if (isRefusal(retried)) return sendError(reply, retried.code, retried.message);
      return reply.code(202).send(retried);
    },
  );
};
