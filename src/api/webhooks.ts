// /v1/webhooks: the merchant's endpoints (create, list, read, update, delete, retry failed deliveries),
// each route the endpoint operation of the same name (webhooks/endpoints/operations.ts) for the admin
// scope. The signing secret is in the answers of a creation and a rotation only.
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { isRefusal } from "../refusal.js";
import { retryFailed } from "../webhooks/delivery/operations.js";
import {
  changeEndpoint,
  createEndpoint,
  getEndpoint,
  listEndpoints,
  removeEndpoint,
} from "../webhooks/endpoints/operations.js";
import { cursorAfter, textCursor } from "./pagination.js";
import { NoContent } from "./schemas/common.js";
import {
  ChangedWebhookView,
  CreatedWebhookView,
  CreateWebhookBody,
  PatchWebhookBody,
  RetriedReply,
  WebhookPage,
  WebhookParams,
  WebhooksQuery,
  WebhookView,
} from "./schemas/webhooks.js";
import type { V1RouteModule } from "./v1.js";

const errors = { "4xx": ErrorReply };

export const webhookRoutes: V1RouteModule = async (app, { webhooks }) => {
  const tags = ["webhooks"];

  app.post(
    "/webhooks",
    {
      schema: {
        tags,
        description:
          "Adds an endpoint; its secret (whsec_…) is generated when not given, and this answer is the only one that shows it.",
        body: CreateWebhookBody,
        response: { 201: CreatedWebhookView, ...errors },
      },
    },
    async (request, reply) => {
      const created = await createEndpoint(webhooks, request.actor, request.body);
      if (isRefusal(created)) return sendError(reply, created.code, created.message);
      return reply.code(201).send(created);
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
      const { items, next } = await listEndpoints(webhooks, {
        limit,
        after: textCursor(request.query.cursor),
      });
      return { items, nextCursor: cursorAfter(next) };
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
      const endpoint = await getEndpoint(webhooks, request.params.id);
      return isRefusal(endpoint) ? sendError(reply, endpoint.code, endpoint.message) : endpoint;
    },
  );

  app.patch(
    "/webhooks/:id",
    {
      schema: {
        tags,
        description:
          "Changes url, msgTypes, payStatus, declareStatus, headers (merged), enabled, description, or rotates the secret (the old one keeps signing, next to the new, for previousSecretValidSeconds; the new one is in this answer only). A url to another scheme, host or port drops the stored headers unless the request sets them again (headersDropped names them).",
        params: WebhookParams,
        body: PatchWebhookBody,
        response: { 200: ChangedWebhookView, ...errors },
      },
    },
    async (request, reply) => {
      const changed = await changeEndpoint(webhooks, request.actor, request.params.id, request.body);
      return isRefusal(changed) ? sendError(reply, changed.code, changed.message) : changed;
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
      const removed = await removeEndpoint(webhooks, request.actor, request.params.id);
      return isRefusal(removed)
        ? sendError(reply, removed.code, removed.message)
        : reply.code(204).send(null);
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
      const result = await retryFailed(webhooks, request.actor, request.params.id);
      if (isRefusal(result)) return sendError(reply, result.code, result.message);
      return reply.code(202).send({ retried: result.retried.length });
    },
  );
};
