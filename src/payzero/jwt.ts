// When to renew Payzero's login token: from the JWT's own lifetime, `exp - iat` (section 1), read, not
// verified, and counted on the local monotonic clock from the login. Payzero's clock (which wrote iat and
// exp) is never compared with the local one, so a skewed local clock neither renews before every query
// nor keeps an expired token.

export const TOKEN_LIFETIME_MS = 4 * 60 * 60 * 1000;
export const RENEW_MARGIN_MS = 5 * 60 * 1000;

/** The token's numeric claims, or null when it is not a JWT with a JSON payload. */
function claims(token: string): Record<string, unknown> | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `exp - iat` in ms, or null when the token does not say both (as finite numbers, exp after iat). */
export function tokenLifetime(token: string): number | null {
  const c = claims(token);
  const { exp, iat } = c ?? {};
  if (typeof exp !== "number" || typeof iat !== "number" || !Number.isFinite(exp) || !Number.isFinite(iat))
    return null;
  return exp > iat ? (exp - iat) * 1000 : null;
}

/**
 * When (on the clock `obtainedAt` was read from, taken before the login was sent) the token is no longer
 * used: 5 minutes before its lifetime is over (half its lifetime when that is under 10 minutes); a token
 * that does not say its lifetime is taken for Payzero's 4 hours. A token Payzero refuses earlier is
 * renewed then anyway.
 */
export function renewAt(token: string, obtainedAt: number): number {
  const lifetime = tokenLifetime(token) ?? TOKEN_LIFETIME_MS;
  return obtainedAt + lifetime - Math.min(RENEW_MARGIN_MS, lifetime / 2);
}
