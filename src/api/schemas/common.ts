// Pieces every /v1 resource's schemas share: list paging, times, ids.
import { type TSchema, Type } from "typebox";
import { BIGINT_ID_PATTERN } from "../../db/bigint-id.js";

export const Limit = Type.Integer({
  minimum: 1,
  maximum: 100,
  default: 50,
  description: "1–100, default 50",
});
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: "nextCursor of the previous page",
});

/** A page of a list: its items and the cursor of the next page (null: the last page). */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

export const Time = Type.String({ format: "date-time" });
export const NullableTime = Type.Union([Time, Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);

export const WebhookId = Type.String({ minLength: 1, maxLength: 100 });
export const DeliveryId = Type.String({ pattern: BIGINT_ID_PATTERN, description: "delivery id" });

export const NoContent = Type.Null();
