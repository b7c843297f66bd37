// /v1/deliveries: the outbox as the merchant sees it (status and attempts), and manual retries.
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { Cursor, decodeIdCursor, ErrorReply, Limit, page } from "../api/pagination.js";
import { sendError } from "../api/reply.js";
import type { V1Deps, V1RouteModule } from "../api/v1.js";
import type { Prisma } from "../generated/prisma/client.js";
import { isRefusal, rearmDelivery } from "./manual-retry.js";
import { DeliveryId, WebhookId } from "./route-support.js";
import { DeliveryView, deliveryInclude, deliveryView } from "./views.js";

const Status = Type.Union([Type.Literal("pending"), Type.Literal("succeeded"), Type.Literal("failed")]);
const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    webhookId: Type.Optional(WebhookId),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
const DeliveryPage = Type.Object({
  items: Type.Array(DeliveryView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
const IdParams = Type.Object({ id: DeliveryId });
const errors = { "4xx": ErrorReply };

export const deliveryRoutes: V1RouteModule = async (v1: FastifyInstance, deps: V1Deps) => {
  await v1.register(async (scope) => {
    scope.setValidatorCompiler(TypeBoxValidatorCompiler);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    const db = deps.db;
    const tags = ["deliveries"];

    app.get(
      "/deliveries",
      {
        schema: {
          tags,
          description: "Deliveries, newest first, with their attempts.",
          querystring: ListQuery,
          response: { 200: DeliveryPage, ...errors },
        },
      },
      async (request, reply) => {
        const { status, webhookId, cursor } = request.query;
        const limit = request.query.limit ?? 50;
        const before = cursor === undefined ? undefined : decodeIdCursor(cursor);
        if (cursor !== undefined && before === undefined) return sendError(reply, 400, "cursor is not valid");
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
          params: IdParams,
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
          params: IdParams,
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
  });
};
