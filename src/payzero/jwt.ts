// When to renew Payzero's login token: from the JWT's own `exp` claim (section 1), read, not verified.

export const TOKEN_LIFETIME_MS = 4 * 60 * 60 * 1000;
export const RENEW_MARGIN_MS = 5 * 60 * 1000;

/** The `exp` claim in ms since the epoch, or null when the token is not a JWT with a numeric `exp`. */
export function jwtExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (claims === null || typeof claims !== "object" || !("exp" in claims)) return null;
    return typeof claims.exp === "number" && Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * The time after which the token is no longer used: 5 minutes before it expires (half its remaining life
 * when it has less than 10 minutes), or 4 hours after it was obtained when it names no expiry.
 */
export function renewAt(token: string, obtainedAt: number): number {
  const expiry = jwtExpiry(token) ?? obtainedAt + TOKEN_LIFETIME_MS;
  const remaining = expiry - obtainedAt;
  return expiry - Math.min(RENEW_MARGIN_MS, Math.max(0, remaining) / 2);
}
