// The API token operations every door offers (/v1/tokens, the console's tokens page, the CLI's
// `tokens`): create (the value shown this once), list (never a value), revoke. Each write is recorded
// once (deps.recordWrite), without the value.
import type { Actor } from "../actor.js";
import { SCOPES, type Scope } from "../api/scopes.js";
import type { Refusal } from "../refusal.js";
import type { TokensDeps } from "./deps.js";
import { generateToken, generateTokenId, tokenHash } from "./secret.js";

export const MAX_TOKEN_NAME_LENGTH = 100;

export interface TokenView {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  /** When it last opened /v1, to the minute (null: never). */
  lastUsedAt: string | null;
  /** null while it works. */
  revokedAt: string | null;
}

/** The answer of a creation: the only place the token's value ever appears. */
export type CreatedToken = TokenView & { token: string };

interface TokenRow {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const NO_SUCH_TOKEN: Refusal = { code: 404, message: "no such token" };

function tokenView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

const isScope = (text: string): text is Scope => (SCOPES as readonly string[]).includes(text);

/** Why a name and scopes cannot make a token, or undefined. */
function tokenInputProblem(input: { name: string; scopes: readonly string[] }): string | undefined {
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_TOKEN_NAME_LENGTH)
    return `name must be 1 to ${MAX_TOKEN_NAME_LENGTH} characters`;
  if (input.scopes.length === 0) return `scopes must name at least one of ${SCOPES.join(", ")}`;
  const unknown = input.scopes.find((s) => !isScope(s));
  if (unknown !== undefined) return `unknown scope "${unknown}" (scopes: ${SCOPES.join(", ")})`;
  return undefined;
}

export async function createToken(
  deps: TokensDeps,
  actor: Actor,
  input: { name: string; scopes: readonly string[] },
): Promise<CreatedToken | Refusal> {
  const problem = tokenInputProblem(input);
  if (problem) return { code: 400, message: problem };
  const scopes = SCOPES.filter((s) => input.scopes.includes(s));
  const token = generateToken();
  const row = await deps.db.apiToken.create({
    data: { id: generateTokenId(), name: input.name.trim(), scopes, tokenHash: tokenHash(token) },
  });
  await deps.recordWrite({
    actor,
    action: "token.create",
    target: row.id,
    summary: { name: row.name, scopes },
  });
  return { ...tokenView(row), token };
}

/** Every token, newest first, revoked ones too (they say when). */
export async function listTokens(deps: TokensDeps): Promise<TokenView[]> {
  const rows = await deps.db.apiToken.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(tokenView);
}

/** Refuses the token from now on, in every api process (each request looks it up: tokens/authenticate.ts). */
export async function revokeToken(
  deps: TokensDeps,
  actor: Actor,
  input: { id: string },
): Promise<{ revoked: string } | Refusal> {
  const { count } = await deps.db.apiToken.updateMany({
    where: { id: input.id, revokedAt: null },
    data: { revokedAt: deps.now() },
  });
  if (count === 0) {
    const exists = await deps.db.apiToken.count({ where: { id: input.id } });
    return exists ? { code: 409, message: "token already revoked" } : NO_SUCH_TOKEN;
  }
  await deps.recordWrite({ actor, action: "token.revoke", target: input.id });
  return { revoked: input.id };
}
