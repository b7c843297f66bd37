// `tokens create|list|revoke`: API tokens for /v1, like POST, GET and DELETE /v1/tokens. A new token's
// value is printed this once.
import { isRefusal } from "../../refusal.js";
import { createToken, listTokens, revokeToken } from "../../tokens/operations.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell, formatFields, formatTable } from "../table.js";

export async function createTokenCommand(
  { tokens, actor, out }: CommandContext,
  opts: { name: string; scopes: string[]; json: boolean },
): Promise<number> {
  const created = await createToken(tokens, actor, opts);
  if (isRefusal(created)) {
    out.error(cell(created.message, 300));
    return EXIT.usage;
  }
  if (opts.json) {
    printJson(out, created);
    return EXIT.ok;
  }
  for (const line of formatFields([
    ["id", created.id],
    ["name", cell(created.name)],
    ["scopes", created.scopes.join(", ")],
    ["token", created.token],
  ]))
    out.print(line);
  out.print("the token is shown this once: only its hash is kept");
  return EXIT.ok;
}

export async function listTokensCommand(
  { tokens, out }: CommandContext,
  opts: { json: boolean },
): Promise<number> {
  const items = await listTokens(tokens);
  if (opts.json) {
    printJson(out, { tokens: items });
    return EXIT.ok;
  }
  if (items.length === 0) {
    out.print("no API tokens");
    return EXIT.ok;
  }
  const lines = formatTable(
    ["ID", "NAME", "SCOPES", "CREATED", "LAST USED", "REVOKED"],
    items.map((t) => [
      cell(t.id),
      cell(t.name, 40),
      cell(t.scopes.join(",")),
      cell(t.createdAt),
      cell(t.lastUsedAt),
      cell(t.revokedAt),
    ]),
  );
  for (const line of lines) out.print(line);
  return EXIT.ok;
}

export async function revokeTokenCommand(
  { tokens, actor, out }: CommandContext,
  opts: { id: string; json: boolean },
): Promise<number> {
  const revoked = await revokeToken(tokens, actor, opts);
  if (isRefusal(revoked)) {
    out.error(cell(revoked.message, 300));
    return EXIT.notFound;
  }
  if (opts.json) printJson(out, revoked);
  else out.print(`token ${revoked.revoked} revoked`);
  return EXIT.ok;
}
