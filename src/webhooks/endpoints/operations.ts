// The endpoint operations every door offers (/v1/webhooks, the console's endpoint pages): one
// function each, a view or a Refusal back; each write recorded once (deps.recordWrite).

import type { Actor } from "../../actor.js";
import { pageOf } from "../../db/page.js";
import { isRefusal, type Refusal } from "../../refusal.js";
import type { WebhookDeps } from "../deps.js";
import { destinationCheck } from "../transports/destination.js";
import { openEndpoint, openUrl, sealHeaders, sealUrl } from "./endpoint-sealing.js";
import {
  type EndpointInput,
  type EndpointPatch,
  inputProblem,
  type NewEndpoint,
  normalizedHeaders,
  storedMsgTypes,
  urlDestinationProblem,
} from "./input.js";
import { changeEndpoint as applyChange, type EndpointChange } from "./rotation.js";
import { generateEndpointId, generateSecret } from "./secret.js";
import { sendTestEvent, type TestEventResult } from "./test-event.js";
import { carriesMask, unmaskUrl } from "./url-mask.js";
import { webhookView } from "./view.js";

export type EndpointView = ReturnType<typeof webhookView>;
/** A created endpoint: the one answer, with a rotation's, that carries the signing secret. */
export type CreatedView = EndpointView & { secret: string };
/**
 * A changed endpoint, with the names of the stored headers dropped because its URL moved
 * (header-policy.ts), and the new secret when the change rotated it.
 */
export type ChangedView = EndpointView & { headersDropped?: string[]; secret?: string };

const NO_SUCH_WEBHOOK: Refusal = { code: 404, message: "no such webhook" };

/** The input's problem; a database destination is connected to, its tables made if missing and checked. */
async function problemOf(deps: WebhookDeps, input: EndpointInput): Promise<Refusal | undefined> {
  const problem =
    inputProblem(input) ??
    (input.url === undefined
      ? undefined
      : ((await urlDestinationProblem(deps.policy, input.url)) ??
        (await destinationCheck(input.url, deps.policy, deps.timeoutMs))));
  return problem === undefined ? undefined : { code: 400, message: problem };
}

/** The names of the fields given: what a write record says changed (never their values). */
const fieldsOf = (input: object) =>
  Object.entries(input)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);

export async function createEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  input: NewEndpoint,
): Promise<CreatedView | Refusal> {
  const problem = await problemOf(deps, input);
  if (problem) return problem;
  const { db, keyring } = deps;
  const id = generateEndpointId();
  const secret = input.secret ?? generateSecret();
  const row = await db.webhookEndpoint.create({
    data: {
      id,
      url: sealUrl(keyring, id, input.url),
      msgTypes: storedMsgTypes(input.msgTypes),
      payStatuses: storedMsgTypes(input.payStatus),
      declareStatuses: storedMsgTypes(input.declareStatus),
      headers: sealHeaders(keyring, id, normalizedHeaders(input.headers ?? {})),
      secret: keyring.seal(id, "secret", secret),
      description: input.description ?? null,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      ordering: input.ordering ?? "none",
    },
  });
  await deps.recordWrite({
    actor,
    action: "endpoint.create",
    target: id,
    summary: { fields: fieldsOf(input) },
  });
  return { ...webhookView(row, keyring), secret };
}

export async function getEndpoint(deps: WebhookDeps, id: string): Promise<EndpointView | Refusal> {
  const row = await deps.db.webhookEndpoint.findUnique({ where: { id } });
  return row ? webhookView(row, deps.keyring) : NO_SUCH_WEBHOOK;
}

/** Whether the endpoint exists (for the doors that refuse a filter naming none). */
export async function endpointExists(deps: WebhookDeps, id: string): Promise<boolean> {
  return (await deps.db.webhookEndpoint.count({ where: { id } })) > 0;
}

/** Endpoints in id order, which is creation order (ids start with the creation time); all when no limit. */
export async function listEndpoints(
  deps: WebhookDeps,
  page: { limit?: number; after?: string } = {},
): Promise<{ items: EndpointView[]; next: string | null }> {
  const rows = await deps.db.webhookEndpoint.findMany({
    where: page.after === undefined ? {} : { id: { gt: page.after } },
    orderBy: { id: "asc" },
    ...(page.limit !== undefined && { take: page.limit + 1 }),
  });
  const { items, next } =
    page.limit === undefined ? { items: rows, next: null } : pageOf(rows, page.limit, (row) => row.id);
  return { items: items.map((row) => webhookView(row, deps.keyring)), next };
}

/**
 * Changes the fields given (headers merged; enabled: true starts the failure clock afresh); a secret
 * given (null: generated) rotates, the old one signing beside it for previousSecretValidSeconds.
 */
export async function changeEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
  patch: EndpointPatch,
): Promise<ChangedView | Refusal> {
  return change(deps, actor, id, patch, "endpoint.change");
}

/** A new generated secret; the old one keeps signing for overlapSeconds (default: the setting). */
export async function rotateEndpointSecret(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
  rotation: { overlapSeconds?: number } = {},
): Promise<ChangedView | Refusal> {
  const patch = { secret: null, previousSecretValidSeconds: rotation.overlapSeconds };
  return change(deps, actor, id, patch, "endpoint.rotate");
}

async function change(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
  given: EndpointPatch,
  action: "endpoint.change" | "endpoint.rotate",
): Promise<ChangedView | Refusal> {
  const patch = await withStoredCredential(deps, id, given);
  const problem = await problemOf(deps, patch);
  if (problem) return problem;
  const change = endpointChange(patch, deps.secretOverlapSeconds);
  if (patch.url !== undefined) change.data.url = sealUrl(deps.keyring, id, patch.url);
  const row = await applyChange(deps.db, deps.keyring, id, change);
  if (isRefusal(row)) return row;
  const dropped = row.headersDropped;
  const summary = {
    fields: fieldsOf(given),
    rotated: given.secret !== undefined,
    ...(dropped.length > 0 && { headersDropped: dropped }),
  };
  await deps.recordWrite({ actor, action, target: id, summary });
  return {
    ...webhookView(row, deps.keyring),
    ...(dropped.length > 0 && { headersDropped: dropped }),
    ...(change.rotation && { secret: change.rotation.secret }),
  };
}

/** Removes the endpoint and its deliveries. */
export async function removeEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
): Promise<{ removed: string } | Refusal> {
  const { count } = await deps.db.webhookEndpoint.deleteMany({ where: { id } });
  if (count === 0) return NO_SUCH_WEBHOOK;
  await deps.recordWrite({ actor, action: "endpoint.remove", target: id });
  return { removed: id };
}

/** Sends one signed test event to the endpoint now and answers what happened; nothing is stored. */
export async function testEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
): Promise<TestEventResult | Refusal> {
  const row = await deps.db.webhookEndpoint.findUnique({ where: { id } });
  if (!row) return NO_SUCH_WEBHOOK;
  const opened = { ...row, ...openEndpoint(deps.keyring, row) };
  const result = await sendTestEvent(opened, deps.timeoutMs, deps.policy);
  await deps.recordWrite({
    actor,
    action: "endpoint.test",
    target: id,
    summary: { messageId: result.messageId, ok: result.outcome.ok },
  });
  return result;
}

/** A url written back as the views show it (password masked) keeps the stored password. */
async function withStoredCredential<T extends { url?: string }>(
  deps: WebhookDeps,
  id: string,
  patch: T,
): Promise<T> {
  if (patch.url === undefined || !carriesMask(patch.url)) return patch;
  const stored = await deps.db.webhookEndpoint.findUnique({ where: { id }, select: { url: true } });
  return stored ? { ...patch, url: unmaskUrl(patch.url, openUrl(deps.keyring, id, stored.url)) } : patch;
}

function endpointChange(patch: EndpointPatch, defaultOverlapSeconds: number): EndpointChange {
  const rotation = patch.secret !== undefined && {
    secret: patch.secret ?? generateSecret(),
    overlapSeconds: patch.previousSecretValidSeconds ?? defaultOverlapSeconds,
  };
  const headers = patch.headers && normalizedHeaders(patch.headers);
  return {
    data: columnsOf(patch),
    ...(rotation && { rotation }),
    ...(patch.headers !== undefined && { headers: headers ?? null }),
  };
}

function columnsOf(patch: EndpointPatch) {
  return {
    ...(patch.url !== undefined && { url: patch.url }),
    ...(patch.msgTypes !== undefined && { msgTypes: storedMsgTypes(patch.msgTypes) }),
    ...(patch.payStatus !== undefined && { payStatuses: storedMsgTypes(patch.payStatus) }),
    ...(patch.declareStatus !== undefined && { declareStatuses: storedMsgTypes(patch.declareStatus) }),
    // Re-enabling starts the failure clock afresh, or the next failure would disable it again at once.
    ...(patch.enabled !== undefined && {
      enabled: patch.enabled,
      ...(patch.enabled && { failingSince: null }),
    }),
    ...(patch.description !== undefined && { description: patch.description }),
    ...(patch.rateLimitPerSecond !== undefined && { rateLimitPerSecond: patch.rateLimitPerSecond }),
    ...(patch.ordering !== undefined && { ordering: patch.ordering }),
    updatedAt: new Date(),
  };
}
