// An API token's value and what is kept of it. Pure apart from the random source.
import { createHash, randomBytes } from "node:crypto";

/** Every API token starts with it: recognisable in a leaked file, a log, a secret scanner's rules. */
export const TOKEN_PREFIX = "pzn_";

/** pzn_ and 32 random bytes (base64url): too many to guess, so one unsalted SHA-256 keeps it safe. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** What api_tokens.token_hash holds: sha256 of the value, hex. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function generateTokenId(): string {
  return `tok_${randomBytes(8).toString("hex")}`;
}
