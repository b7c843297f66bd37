// JSON shapes of the /v1 webhook and delivery resources (BigInt ids as decimal strings, times as ISO).
import { Type } from "typebox";
import { webhookMessageId } from "./payload.js";
import { signingSecrets } from "./secret.js";

const Time = Type.String({ format: "date-time" });
const NullableTime = Type.Union([Time, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  msgTypes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "null: every type" }),
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

export const AttemptView = Type.Object({
  id: Type.String(),
  attemptedAt: Time,
  durationMs: Type.Integer(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: NullableString,
  responseExcerpt: NullableString,
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

export function webhookView(e: EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    msgTypes: e.msgTypes.length === 0 ? null : e.msgTypes,
    secret: e.secret,
    previousSecretExpiresAt: signingSecrets(e, new Date()).length > 1 ? iso(e.previousSecretExpiresAt) : null,
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
