// POST /v1/orders/:mchtOrderNo/query: asks Payzero about the order now (src/orders/query.ts) and answers
// with the order as it then stands and what Payzero said. Scope orders:expect: the merchant's ERP asks at
// checkout; it reads Payzero and writes only what Payzero answered, through the pipeline.
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { queryOrderNow } from "../orders/query.js";
import { isRefusal } from "../refusal.js";
import { OrderParams, QueryReply } from "./schemas/orders.js";
import type { V1RouteModule } from "./v1.js";

export const queryRoutes: V1RouteModule = async (app, { orders }) => {
  app.post(
    "/orders/:mchtOrderNo/query",
    {
      config: { scope: "orders:expect" },
      schema: {
        description:
          "Asks Payzero about the order at once (/order/queryOrder, then /order/feedback when that does not know it), applies the answer like the reconciler (new states are stored and forwarded, source payzero-query) and answers within 5 s. 502/504 when Payzero cannot be asked or does not answer in time (nothing changed); 404 when neither this service nor Payzero knows the order; 503 without PAYZERO_API_URL.",
        tags: ["orders"],
        params: OrderParams,
        response: { 200: QueryReply, "4xx": ErrorReply, "5xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const result = await queryOrderNow(orders, request.actor, request.params);
      if (isRefusal(result)) return sendError(reply, result.code, result.message);
      return result;
    },
  );
};
