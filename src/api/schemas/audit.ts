// Schemas of /v1/audit. The entry's JSON is audit/list.ts's AuditEntryJson.
import { Type } from "typebox";
import { Cursor, Limit, NullableString, Time } from "./common.js";

export const AuditQuery = Type.Object(
  {
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "e.g. order.expect" })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const AuditEntry = Type.Object({
  id: Type.String({ description: "position in the chain, from 1, no gaps" }),
  at: Time,
  actor: Type.Object({
    kind: Type.String({ description: "token | console | cli | system" }),
    id: Type.String({ description: "token id, console session id, CLI user or service part" }),
    name: NullableString,
  }),
  action: Type.String(),
  target: Type.String(),
  summary: Type.Unknown({ description: "what changed: no secret, no personal data" }),
  prevHash: Type.String(),
  hash: Type.String({ description: "sha256 of the entry's canonical form and prevHash" }),
});
