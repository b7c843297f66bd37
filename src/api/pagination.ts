// Cursor pagination shared by the /v1 list routes: the cursor is the last item's key, opaque to clients.
import { Type } from "typebox";

export const Limit = Type.Integer({
  minimum: 1,
  maximum: 100,
  default: 50,
  description: "1–100, default 50",
});
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: "nextCursor of the previous page",
});

function encodeCursor(key: string | bigint): string {
  return Buffer.from(String(key), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, "base64url").toString("utf8");
}

/** Cursor of a text key; undefined when it is not one we made (Postgres text cannot hold its NUL). */
export function decodeTextCursor(cursor: string): string | undefined {
  const text = decodeCursor(cursor);
  return encodeCursor(text) === cursor && !text.includes("\u0000") ? text : undefined;
}

/** Largest Postgres bigint: ids are bigserial. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** Cursor that must decode to a positive integer id within bigint; undefined when it does not. */
export function decodeIdCursor(cursor: string): bigint | undefined {
  const text = decodeCursor(cursor);
  if (!/^[1-9][0-9]{0,18}$/.test(text)) return undefined;
  const id = BigInt(text);
  return id <= MAX_BIGINT ? id : undefined;
}

/** Fetch limit + 1 rows; this cuts the extra one and says where the next page starts. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => string | bigint) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
});
