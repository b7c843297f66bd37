// /v1/webhooks: the merchant's endpoints (create, list, read, update, delete, retry failed deliveries).
import type { Static } from "typebox";
import type { Db } from "../db/client.js";
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { isRefusal } from "../refusal.js";
import { destinationPolicy } from "../webhooks/address-rule.js";
import { sealHeaders } from "../webhooks/endpoint-sealing.js";
import { rearmFailedOf } from "../webhooks/manual-retry.js";
import { changeEndpoint, type EndpointChange } from "../webhooks/rotation.js";
import { type Keyring, keyringOf } from "../webhooks/sealing.js";
import { generateEndpointId, generateSecret } from "../webhooks/secret.js";
import { carriesMask, unmaskUrl } from "../webhooks/url-mask.js";
import { page, textCursor } from "./pagination.js";
import { NoContent } from "./schemas/common.js";
import {
  CreateWebhookBody,
  PatchWebhookBody,
  RetriedReply,
  WebhookPage,
  WebhookParams,
  WebhooksQuery,
  WebhookView,
} from "./schemas/webhooks.js";
import type { V1RouteModule } from "./v1.js";
import { webhookView } from "./views/webhooks.js";
import {
  type EndpointInput,
  inputProblem,
  normalizedHeaders,
  storedMsgTypes,
  urlDestinationProblem,
} from "./webhook-input.js";

const errors = { "4xx": ErrorReply };

export const webhookRoutes: V1RouteModule = async (app, deps) => {
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
        body: CreateWebhookBody,
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
        querystring: WebhooksQuery,
        response: { 200: WebhookPage, ...errors },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = textCursor(request.query.cursor);
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
        params: WebhookParams,
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
          "Changes url, msgTypes, payStatus, declareStatus, headers (merged), enabled, description, or rotates the secret (the old one keeps signing, next to the new, for previousSecretValidSeconds). A url to another scheme, host or port drops the stored headers unless the request sets them again (headersDropped names them).",
        params: WebhookParams,
        body: PatchWebhookBody,
        response: { 200: WebhookView, ...errors },
      },
    },
    async (request, reply) => {
      const body = await withStoredCredential(db, request.params.id, request.body);
      const problem = await problemOf(body);
      if (problem) return sendError(reply, 400, problem);
      const change = endpointChange(body, deps.config.webhookSecretOverlapSeconds);
      const row = await changeEndpoint(db, keyring, request.params.id, change);
      if (isRefusal(row)) return sendError(reply, row.code, row.message);
      const dropped = row.headersDropped;
      return { ...webhookView(row, keyring), ...(dropped.length > 0 && { headersDropped: dropped }) };
    },
  );

  app.delete(
    "/webhooks/:id",
    {
      schema: {
        tags,
        description: "Removes an endpoint and its deliveries.",
        params: WebhookParams,
        response: { 204: NoContent, ...errors },
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
        params: WebhookParams,
        response: { 202: RetriedReply, ...errors },
      },
    },
    async (request, reply) => {
      const result = await rearmFailedOf(db, request.params.id);
      if (isRefusal(result)) return sendError(reply, result.code, result.message);
      return reply.code(202).send({ retried: result.length });
    },
  );
};

/** A url written back as the views show it (password masked) keeps the stored password. */
async function withStoredCredential<T extends { url?: string }>(db: Db, id: string, body: T): Promise<T> {
  if (body.url === undefined || !carriesMask(body.url)) return body;
  const stored = await db.webhookEndpoint.findUnique({ where: { id }, select: { url: true } });
  return stored ? { ...body, url: unmaskUrl(body.url, stored.url) } : body;
}

function createEndpoint(db: Db, keyring: Keyring, body: Static<typeof CreateWebhookBody>) {
  const id = generateEndpointId();
  return db.webhookEndpoint.create({
    data: {
      id,
      url: body.url,
      msgTypes: storedMsgTypes(body.msgTypes),
      payStatuses: storedMsgTypes(body.payStatus),
      declareStatuses: storedMsgTypes(body.declareStatus),
      headers: sealHeaders(keyring, id, normalizedHeaders(body.headers ?? {})),
      secret: keyring.seal(id, "secret", body.secret ?? generateSecret()),
      description: body.description ?? null,
      rateLimitPerSecond: body.rateLimitPerSecond ?? null,
    },
  });
}

function endpointChange(
  body: Static<typeof PatchWebhookBody>,
  defaultOverlapSeconds: number,
): EndpointChange {
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

function patchData(body: Static<typeof PatchWebhookBody>) {
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
