// POST /v1/orders/:mchtOrderNo/retries: the merchant announces that it asked Payzero to pay again
// (sections 2.7, 4.2, 5.5, 6.2) or to declare again (8.1), so the next notification of that kind is a
// new event even when it repeats an earlier one word for word (src/orders/retries.ts).
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { announceRetry } from "../orders/retries.js";
import { isRefusal } from "../refusal.js";
import { OrderParams, RetryBody, RetryReply } from "./schemas/orders.js";
import type { V1RouteModule } from "./v1.js";

export const retryRoutes: V1RouteModule = async (app, { orders }) => {
  app.post(
    "/orders/:mchtOrderNo/retries",
    {
      config: { scope: "orders:expect" },
      schema: {
        description:
          "Announces a retry the merchant asked Payzero for: the next notification of its kind about the order is forwarded as a new event (new webhook-id, order.version +1) even if identical to an earlier one, and the reconciler asks about the order until one arrives. Idempotent while pending. 409 when the order's state allows no such retry; an order not known yet is registered as expected (pay only).",
        tags: ["orders"],
        params: OrderParams,
        body: RetryBody,
        response: { 202: RetryReply, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const result = await announceRetry(orders, request.actor, {
        mchtOrderNo: request.params.mchtOrderNo,
        kind: request.body.kind,
      });
      if (isRefusal(result)) return sendError(reply, result.code, result.message);
      return reply.code(202).send(result);
    },
  );
};
