// /v1/tokens: API tokens (create, list, revoke), each route the token operation of the same name
// (tokens/operations.ts); admin only.
import { ErrorReply, sendError } from "../ops/error-reply.js";
import { isRefusal } from "../refusal.js";
import { createToken, listTokens, revokeToken } from "../tokens/operations.js";
import { NoContent } from "./schemas/common.js";
import { CreatedToken, CreateTokenBody, TokenList, TokenParams } from "./schemas/tokens.js";
import type { V1RouteModule } from "./v1.js";

const errors = { "4xx": ErrorReply };

export const tokenRoutes: V1RouteModule = async (app, { tokens }) => {
  const tags = ["tokens"];
  const config = { scope: "admin" } as const;

  app.post(
    "/tokens",
    {
      config,
      schema: {
        tags,
        description: "Creates an API token with the scopes given; its value is in this answer only.",
        body: CreateTokenBody,
        response: { 201: CreatedToken, ...errors },
      },
    },
    async (request, reply) => {
      const created = await createToken(tokens, request.actor, request.body);
      if (isRefusal(created)) return sendError(reply, created.code, `body/${created.message}`);
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/tokens",
    {
      config,
      schema: {
        tags,
        description: "Every API token, newest first, with its last use; never a value.",
        response: { 200: TokenList, ...errors },
      },
    },
    async () => ({ items: await listTokens(tokens) }),
  );

  app.delete(
    "/tokens/:id",
    {
      config,
      schema: {
        tags,
        description: "Revokes a token: it is refused (401) from the next request on, in every api process.",
        params: TokenParams,
        response: { 204: NoContent, ...errors },
      },
    },
    async (request, reply) => {
      const revoked = await revokeToken(tokens, request.actor, request.params);
      return isRefusal(revoked)
        ? sendError(reply, revoked.code, revoked.message)
        : reply.code(204).send(null);
    },
  );
};
