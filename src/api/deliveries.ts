// /v1/deliveries: the outbox as the merchant sees it (status and attempts), and manual retries.
import type { Prisma } from "../generated/prisma/client.js";
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { isRefusal } from "../refusal.js";
import { rearmDelivery } from "../webhooks/delivery/manual-retry.js";
import { deliveryInclude, deliveryView } from "../webhooks/delivery/view.js";
import { idCursor, page } from "./pagination.js";
import { DeliveriesQuery, DeliveryPage, DeliveryParams, DeliveryView } from "./schemas/deliveries.js";
import type { V1RouteModule } from "./v1.js";

const errors = { "4xx": ErrorReply };

export const deliveryRoutes: V1RouteModule = async (app, { db }) => {
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
      const where: Prisma.DeliveryWhereInput = {
        ...(status && { status }),
        ...(webhookId && { endpointId: webhookId }),
        ...(before !== undefined && { id: { lt: before } }),
      };
      const rows = await db.delivery.findMany({
        where,
        orderBy: { id: "desc" },
        take: limit + 1,
        include: deliveryInclude,
      });
      const { items, nextCursor } = page(rows, limit, (row) => row.id);
      return { items: items.map(deliveryView), nextCursor };
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
      const row = await db.delivery.findUnique({
        where: { id: BigInt(request.params.id) },
        include: deliveryInclude,
      });
      return row ? deliveryView(row) : sendError(reply, 404, "no such delivery");
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
      const id = BigInt(request.params.id);
      const result = await rearmDelivery(db, id);
      if (isRefusal(result)) return sendError(reply, result.code, result.message);
      const row = await db.delivery.findUniqueOrThrow({ where: { id }, include: deliveryInclude });
      return reply.code(202).send(deliveryView(row));
    },
  );
};
