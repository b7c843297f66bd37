// Which API token a bearer value is, looked up in Postgres on every request: a revoke (in any api
// process, or the CLI) refuses the token from the next request on, with no cache to outlive it. The
// lookup is one primary-key-sized read on a unique index; last use is written at most once a minute
// per token, whatever the traffic.
import type { Scope } from "../api/scopes.js";
import type { Db } from "../db/client.js";
import { TOKEN_PREFIX, tokenHash } from "./secret.js";

/** last_used_at moves when it is older than this: the list shows last use to the minute. */
const LAST_USE_RESOLUTION_MS = 60_000;

export interface TokenIdentity {
  id: string;
  name: string;
  scopes: readonly Scope[];
}

export async function authenticateToken(
  db: Db,
  value: string,
  now = new Date(),
): Promise<TokenIdentity | null> {
  if (!value.startsWith(TOKEN_PREFIX)) return null;
  const row = await db.apiToken.findUnique({
    where: { tokenHash: tokenHash(value) },
    select: { id: true, name: true, scopes: true, lastUsedAt: true, revokedAt: true },
  });
  if (!row || row.revokedAt !== null) return null;
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) {
    // Guarded again in SQL, so api processes racing on one token write once between them.
    await db.apiToken.updateMany({
      where: {
        id: row.id,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USE_RESOLUTION_MS) } }],
      },
      data: { lastUsedAt: now },
    });
  }
  return { id: row.id, name: row.name, scopes: row.scopes as Scope[] };
}
