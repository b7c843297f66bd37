// Cursor pagination shared by the /v1 list routes: the cursor is the last item's key, opaque to clients.
import { parseBigintId } from "../db/bigint-id.js";
import { httpError } from "../ops/error-reply.js";

function encodeCursor(key: string | bigint): string {
  return Buffer.from(String(key), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, "base64url").toString("utf8");
}

const INVALID = "querystring/cursor is not valid";

/**
 * The text key a cursor of ours holds (undefined when none was given); a 400 for one we did not
 * make (Postgres text cannot hold its NUL either).
 */
export function textCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = decodeCursor(cursor);
  if (encodeCursor(text) !== cursor || text.includes("\u0000")) throw httpError(400, INVALID);
  return text;
}

/** The id a cursor of ours holds (a positive bigint; undefined when none was given); a 400 for any other. */
export function idCursor(cursor: string | undefined): bigint | undefined {
  if (cursor === undefined) return undefined;
  const id = parseBigintId(decodeCursor(cursor));
  if (id === undefined) throw httpError(400, INVALID);
  return id;
}

/** The cursor of the page starting after `key` (an operation's `next`); null after the last page. */
export function cursorAfter(key: string | bigint | null): string | null {
  return key === null ? null : encodeCursor(key);
}
