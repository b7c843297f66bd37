// HS256 JWTs like the ones Payzero's /auth/login hands out (section 1), for the fake API.
import { createHmac, timingSafeEqual } from "node:crypto";

const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");

export function issueToken(secret: string, subject: string, issuedAtMs: number, ttlMs: number): string {
  const iat = Math.floor(issuedAtMs / 1000);
  const claims = { sub: subject, iat, exp: iat + Math.floor(ttlMs / 1000) };
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${HEADER}.${payload}.${mac(secret, `${HEADER}.${payload}`)}`;
}

/** True when the token is signed with `secret` and not expired at `nowMs`. */
export function checkToken(secret: string, token: string, nowMs: number): boolean {
  const [header, payload, signature] = token.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return false;
  const expected = Buffer.from(mac(secret, `${header}.${payload}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  const claims: { exp?: unknown } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  return typeof claims.exp === "number" && claims.exp * 1000 > nowMs;
}

function mac(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text).digest("base64url");
}
