// Schemas of /v1/tokens: a token as listed (never its value), what creating one takes and answers.
import { Type } from "typebox";
import { MAX_TOKEN_NAME_LENGTH } from "../../tokens/operations.js";
import { SCOPES } from "../scopes.js";
import { Time } from "./common.js";

const scopeList = SCOPES.join(", ");

const TokenView = Type.Object({
  id: Type.String({ description: "tok_…" }),
  name: Type.String(),
  scopes: Type.Array(Type.String(), { description: `some of ${scopeList}` }),
  createdAt: Time,
  lastUsedAt: Type.Union([Time, Type.Null()], { description: "to the minute; null: never used" }),
  revokedAt: Type.Union([Time, Type.Null()], { description: "null while the token works" }),
});

export const CreatedToken = Type.Object({
  ...TokenView.properties,
  token: Type.String({ description: "pzn_…: shown in this answer only, never again" }),
});

export const TokenList = Type.Object({
  items: Type.Array(TokenView, { description: "every token, newest first, revoked ones included" }),
});

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_TOKEN_NAME_LENGTH, description: 'e.g. "erp"' }),
    // Checked by the operation, whose answer names the scopes there are.
    scopes: Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 10, description: scopeList }),
  },
  { additionalProperties: false },
);

export const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
