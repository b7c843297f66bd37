// JSON shapes of the /v1 webhook and delivery resources (BigInt ids as decimal strings, times as ISO).
import { Type } from "typebox";
import { openEndpoint } from "./endpoint-sealing.js";
import { webhookMessageId } from "./payload.js";
import type { Keyring } from "./sealing.js";
import { signingSecrets } from "./secret.js";
import { maskUrl } from "./url-mask.js";

const Time = Type.String({ format: "date-time" });
const NullableTime = Type.Union([Time, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String({ description: "a password in it (or a NATS token) shown as ****" }),
  msgTypes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "null: every type" }),
  payStatus: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description:
      "only messages whose msgBody.payStatus is one of these (a message without a payStatus does not match); null: any",
  }),
  declareStatus: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description:
      "only messages whose msgBody.declareStatus is one of these (a message without a declareStatus does not match); null: any",
  }),
  headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String({ description: "masked" }) }), {
    description: "sent with every attempt; values are never shown in full",
  }),
  secret: Type.String({ description: "Standard Webhooks key (whsec_…)" }),
  previousSecretExpiresAt: Type.Union([Time, Type.Null()], {
    description: "until then deliveries are signed with the secret before the last rotation too",
  }),
  enabled: Type.Boolean(),
  description: NullableString,
  failingSince: NullableTime,
  createdAt: Time,
  updatedAt: Time,
  rateLimitPerSecond: Type.Union([Type.Integer(), Type.Null()], {
    description: "most attempts per second, across all worker processes; null: no limit",
  }),
  throttledUntil: Type.Union([Time, Type.Null()], {
    description: "the endpoint answered 429: no attempt before then (null once past)",
  }),
});

const AttemptView = Type.Object({
  id: Type.String(),
  attemptedAt: Time,
  durationMs: Type.Integer(),
  statusCode: Type.Union([Type.Integer(), Type.Null()], {
    description: "HTTP status; null for a broker publish or no answer",
  }),
  error: NullableString,
  responseExcerpt: Type.Union([Type.String(), Type.Null()], {
    description: "start of the HTTP answer; for a broker, what it said (e.g. confirmed by RabbitMQ)",
  }),
});

export const DeliveryView = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  notificationId: Type.String(),
  msgType: Type.String(),
  /** The webhook-id header (and body id) the endpoint receives. */
  messageId: Type.String(),
  status: Type.Union([Type.Literal("pending"), Type.Literal("succeeded"), Type.Literal("failed")]),
  attemptCount: Type.Integer(),
  throttledCount: Type.Integer({ description: "429 answers so far, not counted in attemptCount" }),
  nextAttemptAt: NullableTime,
  lastError: NullableString,
  createdAt: Time,
  updatedAt: Time,
  succeededAt: NullableTime,
  attempts: Type.Array(AttemptView),
});

export interface EndpointRow {
  id: string;
  url: string;
  msgTypes: string[];
  payStatuses: string[];
  declareStatuses: string[];
  headers: string | null;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  description: string | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
  rateLimitPerSecond: number | null;
  throttledUntil: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const anyIfEmpty = (list: string[]) => (list.length === 0 ? null : list);

/** A header value as shown: its length and last characters at most, never enough to use it. */
function maskHeaderValue(value: string): string {
  return value.length >= 16
    ? `…${value.slice(-4)} (${value.length} characters)`
    : `… (${value.length} characters)`;
}

export function webhookView(e: EndpointRow, keyring: Keyring) {
  const opened = openEndpoint(keyring, e);
  return {
    id: e.id,
    url: maskUrl(e.url),
    msgTypes: anyIfEmpty(e.msgTypes),
    payStatus: anyIfEmpty(e.payStatuses),
    declareStatus: anyIfEmpty(e.declareStatuses),
    headers: Object.entries(opened.headers).map(([name, value]) => ({ name, value: maskHeaderValue(value) })),
    secret: opened.secret,
    previousSecretExpiresAt:
      signingSecrets({ ...e, ...opened }, new Date()).length > 1 ? iso(e.previousSecretExpiresAt) : null,
    enabled: e.enabled,
    description: e.description,
    failingSince: iso(e.failingSince),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    rateLimitPerSecond: e.rateLimitPerSecond,
    throttledUntil: e.throttledUntil && e.throttledUntil > new Date() ? iso(e.throttledUntil) : null,
  };
}

/** What deliveryView needs of a row: the delivery, its notification's key and type, its attempts. */
export const deliveryInclude = {
  notification: { select: { msgType: true, contentKey: true } },
  attempts: { orderBy: { id: "asc" } },
} as const;

export interface DeliveryRow {
  id: bigint;
  notificationId: bigint;
  endpointId: string;
  status: string;
  attemptCount: number;
  throttledCount: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  succeededAt: Date | null;
  notification: { msgType: string; contentKey: string };
  attempts: Array<{
    id: bigint;
    attemptedAt: Date;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
    responseExcerpt: string | null;
  }>;
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: String(d.id),
    webhookId: d.endpointId,
    notificationId: String(d.notificationId),
    msgType: d.notification.msgType,
    messageId: webhookMessageId(d.notification.contentKey),
    status: d.status as "pending" | "succeeded" | "failed",
    attemptCount: d.attemptCount,
    throttledCount: d.throttledCount,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    succeededAt: iso(d.succeededAt),
    attempts: d.attempts.map((a) => ({
      id: String(a.id),
      attemptedAt: a.attemptedAt.toISOString(),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
      responseExcerpt: a.responseExcerpt,
    })),
  };
}
