// Schemas of /v1/webhooks/:id/backfill.
import { Type } from "typebox";
import { Time } from "./common.js";

const IsoTime = Type.String({
  minLength: 10,
  maxLength: 40,
  description: "ISO 8601 time, e.g. 2026-11-01T00:00:00Z",
});

export const BackfillBody = Type.Object(
  {
    since: IsoTime,
    until: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);

export const BackfillView = Type.Object({
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

export const BackfillList = Type.Object({ items: Type.Array(BackfillView) });
