// Schemas of /v1/deliveries: a delivery as shown, with its attempts, and the list's filters.
import { Type } from "typebox";
import { Cursor, DeliveryId, Limit, NullableString, NullableTime, Page, Time, WebhookId } from "./common.js";

const Status = Type.Union([Type.Literal("pending"), Type.Literal("succeeded"), Type.Literal("failed")]);

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
  status: Status,
  attemptCount: Type.Integer(),
  throttledCount: Type.Integer({ description: "429 answers so far, not counted in attemptCount" }),
  nextAttemptAt: NullableTime,
  lastError: NullableString,
  createdAt: Time,
  updatedAt: Time,
  succeededAt: NullableTime,
  attempts: Type.Array(AttemptView),
});

export const DeliveryPage = Page(DeliveryView);

export const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Status),
    webhookId: Type.Optional(WebhookId),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const DeliveryParams = Type.Object({ id: DeliveryId });
