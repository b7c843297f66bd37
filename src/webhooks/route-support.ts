// What the /v1 webhook and delivery routes share: id params.
import { Type } from "typebox";

export const DeliveryId = Type.String({ pattern: "^[1-9][0-9]{0,17}$", description: "delivery id" });
export const WebhookId = Type.String({ minLength: 1, maxLength: 100 });
