// /v1/webhooks: the merchant's endpoints (create, list, read, update, delete, retry failed deliveries).
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { type Static, Type } from "typebox";
import { Cursor, decodeTextCursor, ErrorReply, Limit, page } from "../api/pagination.js";
import { sendError } from "../api/reply.js";
import type { V1Deps, V1RouteModule } from "../api/v1.js";
import { MAX_SECRET_OVERLAP_SECONDS } from "../config.js";
import type { Db } from "../db/client.js";
import { destinationPolicy } from "./address-rule.js";
import {
  type EndpointInput,
  inputProblem,
  normalizedHeaders,
  storedMsgTypes,
  urlDestinationProblem,
} from "./endpoint-input.js";
import { sealHeaders } from "./endpoint-sealing.js";
import { isRefusal, rearmFailedOf } from "./manual-retry.js";
import { ChangeRefused, changeEndpoint, type EndpointChange } from "./rotation.js";
import { WebhookId } from "./route-support.js";
import { type Keyring, keyringOf } from "./sealing.js";
import { generateEndpointId, generateSecret } from "./secret.js";
import { carriesMask, unmaskUrl } from "./url-mask.js";
import { WebhookView, webhookView } from "./views.js";

const MsgTypes = Type.Union(
  [Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 }), Type.Null()],
  {
    description: "msgTypes to forward; null: every type",
  },
);
const Statuses = (field: string) =>
  Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 }), Type.Null()], {
    description: `only messages whose msgBody.${field} is one of these; a message without a ${field} does not match; null: any`,
  });
const HeaderValue = Type.String({ maxLength: 4096 });
const Headers = Type.Union(
  [Type.Record(Type.String({ minLength: 1, maxLength: 100 }), HeaderValue), Type.Null()],
  {
    description:
      'sent with every attempt, e.g. {"authorization": "Bearer …"}; stored encrypted, shown masked',
  },
);
const HeadersPatch = Type.Union(
  [
    Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Union([HeaderValue, Type.Null()])),
    Type.Null(),
  ],
  { description: "merged into the endpoint's headers: a null value removes that one; null removes all" },
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
    payStatus: Type.Optional(Statuses("payStatus")),
    declareStatus: Type.Optional(Statuses("declareStatus")),
    headers: Type.Optional(Headers),
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
    payStatus: Type.Optional(Statuses("payStatus")),
    declareStatus: Type.Optional(Statuses("declareStatus")),
    headers: Type.Optional(HeadersPatch),
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
    const keyring = keyringOf(deps.config);
    const policy = destinationPolicy(deps.config);
    const tags = ["webhooks"];
    const problemOf = async (body: EndpointInput) =>
      inputProblem(body) ??
      (body.url === undefined ? undefined : await urlDestinationProblem(policy, body.url));

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
        const problem = await problemOf(request.body);
        if (problem) return sendError(reply, 400, problem);
        const created = await createEndpoint(db, keyring, request.body);
        return reply.code(201).send(webhookView(created, keyring));
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
        return { items: items.map((row) => webhookView(row, keyring)), nextCursor };
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
        return row ? webhookView(row, keyring) : sendError(reply, 404, "no such webhook");
      },
    );

    app.patch(
      "/webhooks/:id",
      {
        schema: {
          tags,
          description:
            "Changes url, msgTypes, payStatus, declareStatus, headers (merged), enabled, description, or rotates the secret (the old one keeps signing, next to the new, for previousSecretValidSeconds).",
          params: IdParams,
          body: PatchBody,
          response: { 200: WebhookView, ...errors },
        },
      },
      async (request, reply) => {
        const body = await withStoredCredential(db, request.params.id, request.body);
        const problem = await problemOf(body);
        if (problem) return sendError(reply, 400, problem);
        const change = endpointChange(body, deps.config.webhookSecretOverlapSeconds);
        const row = await changeEndpoint(db, keyring, request.params.id, change).catch((err: unknown) => {
          if (err instanceof ChangeRefused) return err;
          throw err;
        });
        if (row instanceof ChangeRefused) return sendError(reply, 400, row.message);
        return row ? webhookView(row, keyring) : sendError(reply, 404, "no such webhook");
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

/** A url written back as the views show it (password masked) keeps the stored password. */
async function withStoredCredential<T extends { url?: string }>(db: Db, id: string, body: T): Promise<T> {
  if (body.url === undefined || !carriesMask(body.url)) return body;
  const stored = await db.webhookEndpoint.findUnique({ where: { id }, select: { url: true } });
  return stored ? { ...body, url: unmaskUrl(body.url, stored.url) } : body;
}

function createEndpoint(db: Db, keyring: Keyring, body: Static<typeof CreateBody>) {
  const id = generateEndpointId();
  return db.webhookEndpoint.create({
    data: {
      id,
      url: body.url,
      msgTypes: storedMsgTypes(body.msgTypes),
      payStatuses: storedMsgTypes(body.payStatus),
      declareStatuses: storedMsgTypes(body.declareStatus),
      headers: sealHeaders(keyring, id, normalizedHeaders(body.headers ?? {})),
      secret: keyring.seal(id, body.secret ?? generateSecret()),
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
  const headers = body.headers && normalizedHeaders(body.headers);
  return {
    data: patchData(body),
    ...(rotation && { rotation }),
    ...(body.headers !== undefined && { headers: headers ?? null }),
  };
}

function patchData(body: Static<typeof PatchBody>) {
  return {
    ...(body.url !== undefined && { url: body.url }),
    ...(body.msgTypes !== undefined && { msgTypes: storedMsgTypes(body.msgTypes) }),
    ...(body.payStatus !== undefined && { payStatuses: storedMsgTypes(body.payStatus) }),
    ...(body.declareStatus !== undefined && { declareStatuses: storedMsgTypes(body.declareStatus) }),
    // Re-enabling starts the failure clock afresh, or the next failure would disable it again at once.
    ...(body.enabled !== undefined && { enabled: body.enabled, ...(body.enabled && { failingSince: null }) }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.rateLimitPerSecond !== undefined && { rateLimitPerSecond: body.rateLimitPerSecond }),
    updatedAt: new Date(),
  };
}
