// /v1/webhooks/:id/backfill: start a backfill of an endpoint (202; the worker processes do the work)
// and follow its progress.
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { ErrorReply } from "../api/pagination.js";
import { sendError } from "../api/reply.js";
import type { V1Deps, V1RouteModule } from "../api/v1.js";
import {
  type BackfillProgress,
  backfillsOf,
  isBackfillRefusal,
  parseIsoTime,
  startBackfill,
} from "./backfill.js";
import { WebhookId } from "./route-support.js";

const Time = Type.String({ format: "date-time" });
const IsoTime = Type.String({
  minLength: 10,
  maxLength: 40,
  description: "ISO 8601 time, e.g. 2026-11-01T00:00:00Z",
});

const BackfillBody = Type.Object(
  {
    since: IsoTime,
    until: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);

const BackfillView = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  since: Time,
  until: Time,
  status: Type.Union([Type.Literal("running"), Type.Literal("done")], {
    description: "done: every notification of the range read and its deliveries created",
  }),
  scanned: Type.Integer({ description: "notifications of the range read so far" }),
  created: Type.Integer({ description: "deliveries created (subscribed, none before)" }),
  deliveries: Type.Object(
    { pending: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() },
    { description: "the created deliveries by status" },
  ),
  createdAt: Time,
  updatedAt: Time,
  finishedAt: Type.Union([Time, Type.Null()]),
});

function backfillView(b: BackfillProgress) {
  return {
    id: String(b.id),
    webhookId: b.endpointId,
    since: b.since.toISOString(),
    until: b.until.toISOString(),
    status: b.status as "running" | "done",
    scanned: b.scanned,
    created: b.created,
    deliveries: b.deliveries,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    finishedAt: b.finishedAt ? b.finishedAt.toISOString() : null,
  };
}

const IdParams = Type.Object({ id: WebhookId });
const errors = { "4xx": ErrorReply };

export const backfillRoutes: V1RouteModule = async (v1: FastifyInstance, deps: V1Deps) => {
  await v1.register(async (scope) => {
    scope.setValidatorCompiler(TypeBoxValidatorCompiler);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    const db = deps.db;
    const tags = ["webhooks"];

    app.post(
      "/webhooks/:id/backfill",
      {
        schema: {
          tags,
          description:
            "Sends this webhook every stored notification received in [since, until) (until: now when absent) that it subscribes to and has not had yet, oldest first, at its rate limit; same webhook-id as any earlier delivery of the message. Answers at once; GET follows the progress.",
          params: IdParams,
          body: BackfillBody,
          response: { 202: BackfillView, ...errors },
        },
      },
      async (request, reply) => {
        const since = parseIsoTime(request.body.since);
        if (!since) return sendError(reply, 400, "since must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z");
        const until = request.body.until === undefined ? new Date() : parseIsoTime(request.body.until);
        if (!until) return sendError(reply, 400, "until must be an ISO 8601 time, e.g. 2026-11-02T00:00:00Z");
        const started = await startBackfill(db, request.params.id, since, until);
        if (isBackfillRefusal(started)) return sendError(reply, started.code, started.message);
        const progress = { ...started, deliveries: { pending: 0, succeeded: 0, failed: 0 } };
        return reply.code(202).send(backfillView(progress));
      },
    );

    app.get(
      "/webhooks/:id/backfill",
      {
        schema: {
          tags,
          description: "This webhook's backfills, newest first (at most 20), with their progress.",
          params: IdParams,
          response: { 200: Type.Object({ items: Type.Array(BackfillView) }), ...errors },
        },
      },
      async (request, reply) => {
        const endpoint = await db.webhookEndpoint.findUnique({
          where: { id: request.params.id },
          select: { id: true },
        });
        if (!endpoint) return sendError(reply, 404, "no such webhook");
        return { items: (await backfillsOf(db, endpoint.id)).map(backfillView) };
      },
    );
  });
};
