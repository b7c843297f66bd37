// /console/endpoints: list, add, edit, enable/disable, rotate the secret, show it on request, test it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { webhookView } from "../api/views/webhooks.js";
import { destinationPolicy } from "../webhooks/address-rule.js";
import { openEndpoint } from "../webhooks/endpoint-sealing.js";
import { keyringOf } from "../webhooks/sealing.js";
import { type FormBody, formText } from "./auth.js";
import type { ConsoleDeps } from "./deps.js";
import {
  type Endpoint,
  type EndpointFields,
  type EndpointPageState,
  endpointList,
  endpointPage,
  newEndpointForm,
} from "./endpoint-pages.js";
import { BASE, page } from "./layout.js";

import { noticeOf, sendPage, withNotice } from "./respond.js";
import { sendTestEvent } from "./test-event.js";
import { v1Client } from "./v1-client.js";

type Params = { id: string };

export function endpointRoutes(app: FastifyInstance, { config, db }: ConsoleDeps): void {
  const v1 = v1Client(app, config.adminToken);
  const keyring = keyringOf(config);
  const policy = destinationPolicy(config);
  const overlapHours = Math.round(config.webhookSecretOverlapSeconds / 3600);
  const statusCounts = async (endpointId?: string) => {
    const rows = await db.delivery.groupBy({
      by: ["endpointId", "status"],
      where: { status: { in: ["failed", "pending"] }, ...(endpointId && { endpointId }) },
      _count: { _all: true },
    });
    return (id: string, status: string) =>
      rows.find((r) => r.endpointId === id && r.status === status)?._count._all ?? 0;
  };

  app.get("/endpoints", async (request, reply) => {
    const [rows, counts] = await Promise.all([
      db.webhookEndpoint.findMany({ orderBy: { createdAt: "asc" } }),
      statusCounts(),
    ]);
    const body = endpointList(
      rows.map((row) => webhookView(row, keyring)),
      counts,
    );
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
    newForm(request, reply, { url: "", description: "", msgTypes: null }),
  );

  app.post("/endpoints", async (request, reply) => {
    const fields = readFields(request.body as FormBody);
    const created = await v1.request<Endpoint>("POST", "/webhooks", payloadOf(fields));
    if (!created.ok) return newForm(request, reply.code(400), fields, created.message);
    return reply.redirect(
      withNotice(`${BASE}/endpoints/${encodeURIComponent(created.value.id)}`, "created"),
      303,
    );
  });

  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    state: Omit<EndpointPageState, "overlapHours"> & { error?: string } = {},
  ) => {
    const { id } = request.params as Params;
    const row = await db.webhookEndpoint.findUnique({ where: { id } });
    const ctx = request.consoleCtx!;
    if (!row)
      return sendPage(
        reply.code(404),
        page(ctx, { title: "Endpoint not found", section: "endpoints", body: "" }),
      );
    const counts = await statusCounts(id);
    const e = webhookView(row, keyring);
    const body = endpointPage(
      ctx,
      e,
      { failed: counts(id, "failed"), pending: counts(id, "pending") },
      {
        ...state,
        overlapHours,
      },
    );
    const { notice } = noticeOf(request.query as Record<string, string | undefined>);
    const title = `Endpoint ${e.description || e.id}`;
    return sendPage(reply, page(ctx, { title, section: "endpoints", notice, error: state.error, body }));
  };

  app.get("/endpoints/:id", async (request, reply) => show(request, reply));

  app.post("/endpoints/:id", async (request, reply) => {
    const { id } = request.params as Params;
    const fields = readFields(request.body as FormBody);
    const saved = await v1.request<Endpoint & { headersDropped?: string[] }>(
      "PATCH",
      `/webhooks/${encodeURIComponent(id)}`,
      payloadOf(fields),
    );
    if (!saved.ok) return show(request, reply.code(400), { fields, error: saved.message });
    const notice = saved.value.headersDropped ? "saved-headers-dropped" : "saved";
    return reply.redirect(withNotice(`${BASE}/endpoints/${encodeURIComponent(id)}`, notice), 303);
  });

  app.post("/endpoints/:id/enabled", async (request, reply) => {
    const { id } = request.params as Params;
    const enabled = formText(request.body as FormBody, "enabled") === "true";
    const saved = await v1.request<Endpoint>("PATCH", `/webhooks/${encodeURIComponent(id)}`, { enabled });
    if (!saved.ok) return show(request, reply.code(400), { error: saved.message });
    const notice = enabled ? "enabled" : "disabled";
    return reply.redirect(withNotice(`${BASE}/endpoints/${encodeURIComponent(id)}`, notice), 303);
  });

  app.post("/endpoints/:id/rotate", async (request, reply) => {
    const { id } = request.params as Params;
    const hours = Number(formText(request.body as FormBody, "overlapHours"));
    if (!Number.isInteger(hours) || hours < 0 || hours > 168)
      return show(request, reply.code(400), { error: "The overlap is a whole number of hours, 0 to 168." });
    const rotated = await v1.request<Endpoint>("PATCH", `/webhooks/${encodeURIComponent(id)}`, {
      secret: null,
      previousSecretValidSeconds: hours * 3600,
    });
    if (!rotated.ok) return show(request, reply.code(400), { error: rotated.message });
    return reply.redirect(withNotice(`${BASE}/endpoints/${encodeURIComponent(id)}`, "rotated"), 303);
  });

  // Shown only in the answer to this POST: never in a page a GET (history, cache) brings back.
  app.post("/endpoints/:id/secret", async (request, reply) => show(request, reply, { revealSecret: true }));

  app.post("/endpoints/:id/test", async (request, reply) => {
    const { id } = request.params as Params;
    const row = await db.webhookEndpoint.findUnique({ where: { id } });
    if (!row) return show(request, reply);
    const test = await sendTestEvent(
      { ...row, ...openEndpoint(keyring, row) },
      config.webhookTimeoutMs,
      policy,
    );
    return show(request, reply, { test });
  });
}

function readFields(body: FormBody): EndpointFields {
  const types = body.msgTypes;
  const msgTypes = (Array.isArray(types) ? types : types ? [types] : []).filter((t) => t !== "");
  return {
    url: formText(body, "url").trim(),
    description: formText(body, "description").trim(),
    msgTypes: msgTypes.length === 0 ? null : msgTypes,
  };
}

function payloadOf(f: EndpointFields): Record<string, unknown> {
  return { url: f.url, description: f.description === "" ? null : f.description, msgTypes: f.msgTypes };
}
