// /console/endpoints: list, add, edit, enable/disable, rotate the secret, test it; each page the
// endpoint operations (webhooks/endpoints/operations.ts) for the signed-in session. The signing secret
// is shown once: in the page answering the POST that added the endpoint or rotated it, never in a
// page a GET (history, cache) brings back.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isRefusal } from "../refusal.js";
import { countOf, deliveryCounts } from "../webhooks/delivery/operations.js";
import {
  changeEndpoint,
  createEndpoint,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  testEndpoint,
} from "../webhooks/endpoints/operations.js";
import type { ConsoleDeps } from "./deps.js";
import {
  type EndpointFields,
  type EndpointPageState,
  endpointList,
  endpointPage,
  newEndpointForm,
} from "./endpoint-pages.js";
import { BASE, type PageContext, page } from "./layout.js";
import { noticeOf, sendPage, withNotice } from "./respond.js";
import {
  EmptyForm,
  EnabledForm,
  EndpointForm,
  IdParams,
  NoticeQuery,
  RotateForm,
} from "./webhook-schemas.js";

type Form = { url?: string; description?: string; msgTypes?: string[]; ordering?: string };

export function endpointRoutes(scope: FastifyInstance, { config, webhooks }: ConsoleDeps): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const overlapHours = Math.round(config.webhookSecretOverlapSeconds / 3600);

  app.get("/endpoints", async (request, reply) => {
    const [{ items }, counts] = await Promise.all([listEndpoints(webhooks), deliveryCounts(webhooks)]);
    const body = endpointList(items, (id, status) => countOf(counts, id, status as "failed" | "pending"));
    return sendPage(reply, page(request.consoleCtx!, { title: "Endpoints", section: "endpoints", body }));
  });

  const newForm = (request: FastifyRequest, reply: FastifyReply, fields: EndpointFields, error?: string) =>
    sendPage(
      reply,
      page(request.consoleCtx!, {
        title: "Add an endpoint",
        section: "endpoints",
        error,
        body: newEndpointForm(request.consoleCtx!, fields),
      }),
    );

  app.get("/endpoints/new", async (request, reply) =>
    newForm(request, reply, { url: "", description: "", msgTypes: null, ordering: "none" }),
  );

  app.post("/endpoints", { schema: { body: EndpointForm } }, async (request, reply) => {
    const fields = readFields(request.body);
    const created = await createEndpoint(webhooks, request.consoleCtx!.actor, inputOf(fields));
    if (isRefusal(created)) return newForm(request, reply.code(400), fields, created.message);
    return show({ ...request, params: { id: created.id }, query: { notice: "created" } }, reply, {
      newSecret: created.secret,
    });
  });

  const show = async (
    request: { params: { id: string }; query: { notice?: string }; consoleCtx: PageContext | null },
    reply: FastifyReply,
    state: Omit<EndpointPageState, "overlapHours"> & { error?: string } = {},
  ) => {
    const { id } = request.params;
    const ctx = request.consoleCtx!;
    const [e, counts] = await Promise.all([getEndpoint(webhooks, id), deliveryCounts(webhooks, id)]);
    if (isRefusal(e))
      return sendPage(
        reply.code(404),
        page(ctx, { title: "Endpoint not found", section: "endpoints", body: "" }),
      );
    const shown = { failed: countOf(counts, id, "failed"), pending: countOf(counts, id, "pending") };
    const body = endpointPage(ctx, e, shown, { ...state, overlapHours });
    const { notice } = noticeOf(request.query);
    const title = `Endpoint ${e.description || e.id}`;
    return sendPage(reply, page(ctx, { title, section: "endpoints", notice, error: state.error, body }));
  };

  const self = (id: string, notice: string) =>
    withNotice(`${BASE}/endpoints/${encodeURIComponent(id)}`, notice);

  app.get(
    "/endpoints/:id",
    { schema: { params: IdParams, querystring: NoticeQuery } },
    async (request, reply) => show(request, reply),
  );

  app.post(
    "/endpoints/:id",
    { schema: { params: IdParams, querystring: NoticeQuery, body: EndpointForm } },
    async (request, reply) => {
      const { id } = request.params;
      const fields = readFields(request.body);
      const saved = await changeEndpoint(webhooks, request.consoleCtx!.actor, id, inputOf(fields));
      if (isRefusal(saved)) return show(request, reply.code(400), { fields, error: saved.message });
      return reply.redirect(self(id, saved.headersDropped ? "saved-headers-dropped" : "saved"), 303);
    },
  );

  app.post(
    "/endpoints/:id/enabled",
    { schema: { params: IdParams, querystring: NoticeQuery, body: EnabledForm } },
    async (request, reply) => {
      const { id } = request.params;
      const enabled = request.body.enabled === "true";
      const saved = await changeEndpoint(webhooks, request.consoleCtx!.actor, id, { enabled });
      if (isRefusal(saved)) return show(request, reply.code(400), { error: saved.message });
      return reply.redirect(self(id, enabled ? "enabled" : "disabled"), 303);
    },
  );

  app.post(
    "/endpoints/:id/rotate",
    { schema: { params: IdParams, querystring: NoticeQuery, body: RotateForm } },
    async (request, reply) => {
      const { id } = request.params;
      const hours = Number(request.body.overlapHours ?? "");
      if (!Number.isInteger(hours) || hours < 0 || hours > 168)
        return show(request, reply.code(400), { error: "The overlap is a whole number of hours, 0 to 168." });
      const rotated = await rotateEndpointSecret(webhooks, request.consoleCtx!.actor, id, {
        overlapSeconds: hours * 3600,
      });
      if (isRefusal(rotated)) return show(request, reply.code(400), { error: rotated.message });
      return show({ ...request, query: { notice: "rotated" } }, reply, { newSecret: rotated.secret });
    },
  );

  app.post(
    "/endpoints/:id/test",
    { schema: { params: IdParams, querystring: NoticeQuery, body: EmptyForm } },
    async (request, reply) => {
      const test = await testEndpoint(webhooks, request.consoleCtx!.actor, request.params.id);
      return show(request, reply, isRefusal(test) ? {} : { test });
    },
  );
}

function readFields(body: Form): EndpointFields {
  const msgTypes = (body.msgTypes ?? []).filter((t) => t !== "");
  return {
    url: (body.url ?? "").trim(),
    description: (body.description ?? "").trim(),
    msgTypes: msgTypes.length === 0 ? null : msgTypes,
    ordering: body.ordering ?? "none",
  };
}

function inputOf(f: EndpointFields) {
  return {
    url: f.url,
    description: f.description === "" ? null : f.description,
    msgTypes: f.msgTypes,
    ordering: f.ordering,
  };
}
