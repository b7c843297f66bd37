// POST /v1/orders/expected: the merchant's systems name the orders to expect, so the reconciler finds
// an order even when every notification of it was lost (sections 4.3, 5.6: query what never arrived).
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { expectOrders, MAX_EXPECTED, MAX_ORDER_NO_LENGTH, orderNosProblem } from "../orders/expected.js";
import { ErrorReply } from "./pagination.js";
import { sendError } from "./reply.js";
import type { V1RouteModule } from "./v1.js";

const Body = Type.Object(
  {
    mchtOrderNos: Type.Array(Type.String({ minLength: 1, maxLength: MAX_ORDER_NO_LENGTH }), {
      minItems: 1,
      maxItems: MAX_EXPECTED,
      description: `1 to ${MAX_EXPECTED} merchant order numbers (repeats count once)`,
    }),
    needDeclare: Type.Optional(
      Type.Boolean({
        description:
          "as given to Payzero (sections 4.1/5.3/6.1): false = never declared, so finished once paid; absent = unchanged",
      }),
    ),
  },
  { additionalProperties: false },
);

export const expectedRoutes: V1RouteModule = async (v1, { db }) => {
  await v1.register(async (scope) => {
    // No coercion: a number where an order number belongs is an error, not a string.
    scope.setValidatorCompiler(TypeBoxValidatorCompiler);
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      "/orders/expected",
      {
        schema: {
          description:
            "Registers orders to expect: each shows in GET /v1/orders/:mchtOrderNo with no status until a notification or the reconciler's query brings one. Idempotent.",
          tags: ["orders"],
          body: Body,
          response: {
            202: Type.Object({
              expected: Type.Integer({ description: "distinct order numbers given" }),
              added: Type.Integer({ description: "of those, the ones not known before" }),
            }),
            400: ErrorReply,
          },
        },
      },
      async (request, reply) => {
        const { mchtOrderNos, needDeclare } = request.body;
        const problem = orderNosProblem(mchtOrderNos);
        if (problem) return sendError(reply, 400, `body/${problem}`);
        return reply.code(202).send(await expectOrders(db, mchtOrderNos, needDeclare ?? null));
      },
    );
  });
};
