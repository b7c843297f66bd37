// DELETE /v1/orders/:mchtOrderNo/personal-data: erases the payer's personal data of one order, everywhere.

import { ErrorReply, sendError } from "../ops/error-reply.js";
import { erasePersonalData } from "../orders/erase.js";
import { isRefusal } from "../refusal.js";
import { NoContent } from "./schemas/common.js";
import { OrderParams } from "./schemas/orders.js";
import type { V1RouteModule } from "./v1.js";

export const orderPersonalDataRoutes: V1RouteModule = async (app, { orders }) => {
  app.delete(
    "/orders/:mchtOrderNo/personal-data",
    {
      schema: {
        description:
          "Erases the payer's name, ID number and phone of one order wherever they are stored (the order, its notifications' bodies and snapshots); its statuses, amounts and history stay. Later messages about the order are stored and forwarded without them.",
        tags: ["orders"],
        params: OrderParams,
        response: { 204: NoContent, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const erased = await erasePersonalData(orders, request.actor, request.params.mchtOrderNo);
      return isRefusal(erased) ? sendError(reply, erased.code, erased.message) : reply.code(204).send(null);
    },
  );
};
