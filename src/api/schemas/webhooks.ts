// Schemas of /v1/webhooks: the endpoint as shown, and what creating and changing one take.
import { Type } from "typebox";
import { MAX_SECRET_OVERLAP_SECONDS } from "../../config.js";
import { MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH } from "../../webhooks/endpoints/input.js";
import { Cursor, Limit, NullableString, NullableTime, Page, Time, WebhookId } from "./common.js";

const ORDERING_DESCRIPTION =
  '"per-order": deliveries of one order to this endpoint go one at a time, in order.version order (a later one waits while an earlier one is retried, until it succeeds or fails for good); different orders still go in parallel. "none" (default): no waiting';
const Ordering = Type.Union([Type.Literal("none"), Type.Literal("per-order")], {
  description: ORDERING_DESCRIPTION,
});

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
  ordering: Ordering,
  headersDropped: Type.Optional(
    Type.Array(Type.String(), {
      description:
        "PATCH only: the stored headers this change removed because the url moved to another scheme, host or port (set them again in the same request to keep them)",
    }),
  ),
});

export const WebhookPage = Page(WebhookView);

const Secret = Type.String({
  description: "Standard Webhooks key (whsec_…): in this answer only, never in a GET or a list",
});

/** POST's answer: the endpoint and its secret, shown this once. */
export const CreatedWebhookView = Type.Object({ ...WebhookView.properties, secret: Secret });

/** PATCH's answer: the endpoint, and the new secret when the change rotated it. */
export const ChangedWebhookView = Type.Object({ ...WebhookView.properties, secret: Type.Optional(Secret) });

const MsgTypes = Type.Union(
  [Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 }), Type.Null()],
  {
    description: "msgTypes to forward; null: every type",
  },
);
const Statuses = (field: string) =>
  Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 }), Type.Null()], {
    description: `only messages whose msgBody.${field} is one of these; a message without a ${field} does not match; null: any`,
  });
const HeaderValue = Type.String({ maxLength: 4096 });
const Headers = Type.Union(
  [Type.Record(Type.String({ minLength: 1, maxLength: 100 }), HeaderValue), Type.Null()],
  {
    description:
      'sent with every attempt, e.g. {"authorization": "Bearer …"}; stored encrypted, shown masked',
  },
);
const HeadersPatch = Type.Union(
  [
    Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Union([HeaderValue, Type.Null()])),
    Type.Null(),
  ],
  { description: "merged into the endpoint's headers: a null value removes that one; null removes all" },
);
const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH });
const Description = Type.Union([Type.String({ maxLength: MAX_DESCRIPTION_LENGTH }), Type.Null()]);
const RateLimit = Type.Union([Type.Integer({ minimum: 1, maximum: 10_000 }), Type.Null()], {
  description: "most attempts per second to this endpoint, across all worker processes; null: no limit",
});

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    msgTypes: Type.Optional(MsgTypes),
    payStatus: Type.Optional(Statuses("payStatus")),
    declareStatus: Type.Optional(Statuses("declareStatus")),
    headers: Type.Optional(Headers),
    secret: Type.Optional(Type.String({ description: "whsec_…; generated when absent" })),
    description: Type.Optional(Description),
    rateLimitPerSecond: Type.Optional(RateLimit),
    ordering: Type.Optional(Ordering),
  },
  { additionalProperties: false },
);

export const PatchWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    msgTypes: Type.Optional(MsgTypes),
    payStatus: Type.Optional(Statuses("payStatus")),
    declareStatus: Type.Optional(Statuses("declareStatus")),
    headers: Type.Optional(HeadersPatch),
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Description),
    secret: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: "rotation: a new whsec_… key, or null to generate one",
      }),
    ),
    previousSecretValidSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_SECRET_OVERLAP_SECONDS,
        description:
          "with secret: how long deliveries are signed with the old secret too (default WEBHOOK_SECRET_OVERLAP_SECONDS); 0 retires it at once",
      }),
    ),
    rateLimitPerSecond: Type.Optional(RateLimit),
    ordering: Type.Optional(Ordering),
  },
  { additionalProperties: false },
);

export const WebhookParams = Type.Object({ id: WebhookId });

export const WebhooksQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

export const RetriedReply = Type.Object({
  retried: Type.Integer({ description: "failed deliveries re-armed" }),
});
