// POST /v1/orders/expected: the merchant's systems name the orders to expect, so the reconciler finds
// an order even when every notification of it was lost (sections 4.3, 5.6: query what never arrived).
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { registerExpectedOrders } from "../orders/expected.js";
import { isRefusal } from "../refusal.js";
import { ExpectedBody, ExpectedReply } from "./schemas/orders.js";
import type { V1RouteModule } from "./v1.js";

export const expectedRoutes: V1RouteModule = async (app, { orders }) => {
  app.post(
    "/orders/expected",
    {
      config: { scope: "orders:expect" },
      schema: {
        description:
          "Registers orders to expect: each shows in GET /v1/orders/:mchtOrderNo with no status until a notification or the reconciler's query brings one. Idempotent.",
        tags: ["orders"],
        body: ExpectedBody,
        response: { 202: ExpectedReply, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const { mchtOrderNos, needDeclare } = request.body;
      const result = await registerExpectedOrders(orders, request.actor, {
        mchtOrderNos,
        needDeclare: needDeclare ?? null,
      });
      if (isRefusal(result)) return sendError(reply, result.code, `body/${result.message}`);
      return reply.code(202).send(result);
    },
  );
};
