// /v1/webhooks: the merchant's endpoints (create, list, read, update, delete, retry failed deliveries).
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { type Static, Type } from "typebox";
import { Cursor, decodeTextCursor, ErrorReply, Limit, page } from "../api/pagination.js";
import { sendError } from "../api/reply.js";
import type { V1Deps, V1RouteModule } from "../api/v1.js";
import { MAX_SECRET_OVERLAP_SECONDS } from "../config.js";
import type { Db } from "../db/client.js";
import { inputProblem, storedMsgTypes } from "./endpoint-input.js";
import { isRefusal, rearmFailedOf } from "./retry.js";
import { changeEndpoint, type EndpointChange } from "./rotation.js";
import { WebhookId } from "./route-support.js";
import { generateEndpointId, generateSecret } from "./secret.js";
import { WebhookView, webhookView } from "./views.js";

const MsgTypes = Type.Union(
  [Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 }), Type.Null()],
  {
    description: "msgTypes to forward; null: every type",
  },
);
const Url = Type.String({ minLength: 1, maxLength: 2048 });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const RateLimit = Type.Union([Type.Integer({ minimum: 1, maximum: 10_000 }), Type.Null()], {
  description: "most attempts per second to this endpoint, across all worker processes; null: no limit",
});

const CreateBody = Type.Object(
  {
    url: Url,
    msgTypes: Type.Optional(MsgTypes),
    secret: Type.Optional(Type.String({ description: "whsec_…; generated when absent" })),
    description: Type.Optional(Description),
    rateLimitPerSecond: Type.Optional(RateLimit),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    msgTypes: Type.Optional(MsgTypes),
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Description),
    secret: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: "rotation: a new whsec_… key, or null to generate one",
      }),
    ),
    previousSecretValidSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_SECRET_OVERLAP_SECONDS,
        description:
          "with secret: how long deliveries are signed with the old secret too (default WEBHOOK_SECRET_OVERLAP_SECONDS); 0 retires it at once",
      }),
    ),
    rateLimitPerSecond: Type.Optional(RateLimit),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: WebhookId });
const ListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
const WebhookPage = Type.Object({
  items: Type.Array(WebhookView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
const errors = { "4xx": ErrorReply };

export const webhookRoutes: V1RouteModule = async (v1: FastifyInstance, deps: V1Deps) => {
  await v1.register(async (scope) => {
    scope.setValidatorCompiler(TypeBoxValidatorCompiler);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    const db = deps.db;
    const tags = ["webhooks"];

    app.post(
      "/webhooks",
      {
        schema: {
          tags,
          description: "Adds an endpoint; its secret (whsec_…) is generated when not given.",
          body: CreateBody,
          response: { 201: WebhookView, ...errors },
        },
      },
      async (request, reply) => {
        const problem = inputProblem(request.body);
        if (problem) return sendError(reply, 400, problem);
        const created = await createEndpoint(db, request.body);
        return reply.code(201).send(webhookView(created));
      },
    );

    app.get(
      "/webhooks",
      {
        schema: {
          tags,
          description: "Endpoints, in creation order.",
          querystring: ListQuery,
          response: { 200: WebhookPage, ...errors },
        },
      },
      async (request, reply) => {
        const { cursor } = request.query;
        const limit = request.query.limit ?? 50;
        const after = cursor === undefined ? undefined : decodeTextCursor(cursor);
        if (cursor !== undefined && after === undefined) return sendError(reply, 400, "cursor is not valid");
        const rows = await db.webhookEndpoint.findMany({
          where: after === undefined ? {} : { id: { gt: after } },
          orderBy: { id: "asc" },
          take: limit + 1,
        });
        const { items, nextCursor } = page(rows, limit, (row) => row.id);
        return { items: items.map(webhookView), nextCursor };
      },
    );

    app.get(
      "/webhooks/:id",
      {
        schema: {
          tags,
          description: "One endpoint.",
          params: IdParams,
          response: { 200: WebhookView, ...errors },
        },
      },
      async (request, reply) => {
        const row = await db.webhookEndpoint.findUnique({ where: { id: request.params.id } });
        return row ? webhookView(row) : sendError(reply, 404, "no such webhook");
      },
    );

    app.patch(
      "/webhooks/:id",
      {
        schema: {
          tags,
          description:
            "Changes url, msgTypes, enabled, description, or rotates the secret (the old one keeps signing, next to the new, for previousSecretValidSeconds).",
          params: IdParams,
          body: PatchBody,
          response: { 200: WebhookView, ...errors },
        },
      },
      async (request, reply) => {
        const problem = inputProblem(request.body);
        if (problem) return sendError(reply, 400, problem);
        const change = endpointChange(request.body, deps.config.webhookSecretOverlapSeconds);
        const row = await changeEndpoint(db, request.params.id, change);
        return row ? webhookView(row) : sendError(reply, 404, "no such webhook");
      },
    );

    app.delete(
      "/webhooks/:id",
      {
        schema: {
          tags,
          description: "Removes an endpoint and its deliveries.",
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const { count } = await db.webhookEndpoint.deleteMany({ where: { id: request.params.id } });
        return count === 0 ? sendError(reply, 404, "no such webhook") : reply.code(204).send(null);
      },
    );

    app.post(
      "/webhooks/:id/retry-failed",
      {
        schema: {
          tags,
          description: "Re-sends every failed delivery of this webhook now (one attempt each).",
          params: IdParams,
          response: { 202: Type.Object({ retried: Type.Integer() }), ...errors },
        },
      },
      async (request, reply) => {
        const result = await rearmFailedOf(db, request.params.id);
        if (isRefusal(result)) return sendError(reply, result.code, result.message);
        return reply.code(202).send({ retried: result.length });
      },
    );
  });
};

function createEndpoint(db: Db, body: Static<typeof CreateBody>) {
  return db.webhookEndpoint.create({
    data: {
      id: generateEndpointId(),
      url: body.url,
      msgTypes: storedMsgTypes(body.msgTypes),
      secret: body.secret ?? generateSecret(),
      description: body.description ?? null,
      rateLimitPerSecond: body.rateLimitPerSecond ?? null,
    },
  });
}

function endpointChange(body: Static<typeof PatchBody>, defaultOverlapSeconds: number): EndpointChange {
  const rotation = body.secret !== undefined && {
    secret: body.secret ?? generateSecret(),
    overlapSeconds: body.previousSecretValidSeconds ?? defaultOverlapSeconds,
  };
  return { data: patchData(body), ...(rotation && { rotation }) };
}

function patchData(body: Static<typeof PatchBody>) {
  return {
    ...(body.url !== undefined && { url: body.url }),
    ...(body.msgTypes !== undefined && { msgTypes: storedMsgTypes(body.msgTypes) }),
    // Re-enabling starts the failure clock afresh, or the next failure would disable it again at once.
    ...(body.enabled !== undefined && { enabled: body.enabled, ...(body.enabled && { failingSince: null }) }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.rateLimitPerSecond !== undefined && { rateLimitPerSecond: body.rateLimitPerSecond }),
    updatedAt: new Date(),
  };
}
