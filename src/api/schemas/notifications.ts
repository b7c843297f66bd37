// Schemas of /v1/notifications. The notification's JSON is orders/json.ts.
import { Type } from "typebox";
import { Cursor, Limit } from "./common.js";

export const NotificationsQuery = Type.Object(
  {
    mchtOrderNo: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    msgType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const NotificationParams = Type.Object({
  id: Type.String({ pattern: "^[1-9][0-9]{0,18}$", description: "notification id" }),
});
