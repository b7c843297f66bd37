// POST /v1/refunds registers a refund the merchant applied for with Payzero (section 9.1), so the service
// asks about it (9.2) until it is final and forwards each change (REFUND_STATUS_NOTIFY); GET reads one.
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { RefundJson } from "../refunds/json.js";
import { getRefund } from "../refunds/read.js";
import { registerRefund } from "../refunds/register.js";
import { isRefusal } from "../refusal.js";
import { RefundBody, RefundParams } from "./schemas/refunds.js";
import type { V1RouteModule } from "./v1.js";

export const refundRoutes: V1RouteModule = async (app, { orders }) => {
  app.post(
    "/refunds",
    {
      config: { scope: "orders:expect" },
      schema: {
        description:
          "Registers a refund applied for with Payzero (the service never applies for one): it is polled until REFUND_SUCCEED or REFUND_FAILED and every change is forwarded as REFUND_STATUS_NOTIFY. Idempotent on mchtRefundOrderNo: 201 when registered, 200 when it already was.",
        tags: ["refunds"],
        body: RefundBody,
        response: { 200: RefundJson, 201: RefundJson, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const result = await registerRefund(orders, request.actor, request.body);
      if (isRefusal(result)) return sendError(reply, result.code, `body/${result.message}`);
      return reply.code(result.created ? 201 : 200).send(result.refund);
    },
  );

  app.get(
    "/refunds/:mchtRefundOrderNo",
    {
      schema: {
        description: "One registered refund as Payzero last answered about it.",
        tags: ["refunds"],
        params: RefundParams,
        response: { 200: RefundJson, "4xx": ErrorReply },
      },
    },
    async (request, reply) => {
      const refund = await getRefund(orders, request.params);
      return isRefusal(refund) ? sendError(reply, refund.code, refund.message) : refund;
    },
  );
};
