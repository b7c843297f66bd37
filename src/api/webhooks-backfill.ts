// /v1/webhooks/:id/backfill: start a backfill of an endpoint (202; the worker processes do the work)
// and follow its progress; the backfill operations (webhooks/delivery/backfill-operations.ts).
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { isRefusal } from "../refusal.js";
import { parseIsoTime } from "../webhooks/delivery/backfill.js";
import { getBackfills, startBackfill } from "../webhooks/delivery/backfill-operations.js";
import { BackfillBody, BackfillList, BackfillView } from "./schemas/backfills.js";
import { WebhookParams } from "./schemas/webhooks.js";
import type { V1RouteModule } from "./v1.js";

const errors = { "4xx": ErrorReply };

export const backfillRoutes: V1RouteModule = async (app, { webhooks }) => {
  const tags = ["webhooks"];

  app.post(
    "/webhooks/:id/backfill",
    {
      schema: {
        tags,
        description:
          "Sends this webhook every stored notification received in [since, until) (until: now when absent) that it subscribes to and has not had yet, oldest first, at its rate limit; same webhook-id as any earlier delivery of the message. Answers at once; GET follows the progress.",
        params: WebhookParams,
        body: BackfillBody,
        response: { 202: BackfillView, ...errors },
      },
    },
    async (request, reply) => {
      const since = parseIsoTime(request.body.since);
      if (!since) return sendError(reply, 400, "since must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z");
      const until = request.body.until === undefined ? undefined : parseIsoTime(request.body.until);
      if (request.body.until !== undefined && !until)
        return sendError(reply, 400, "until must be an ISO 8601 time, e.g. 2026-11-02T00:00:00Z");
      const started = await startBackfill(webhooks, request.actor, request.params.id, { since, until });
      if (isRefusal(started)) return sendError(reply, started.code, started.message);
      return reply.code(202).send(started);
    },
  );

  app.get(
    "/webhooks/:id/backfill",
    {
      schema: {
        tags,
        description: "This webhook's backfills, newest first (at most 20), with their progress.",
        params: WebhookParams,
        response: { 200: BackfillList, ...errors },
      },
    },
    async (request, reply) => {
      const backfills = await getBackfills(webhooks, request.params.id);
      return isRefusal(backfills)
        ? sendError(reply, backfills.code, backfills.message)
        : { items: backfills };
    },
  );
};
