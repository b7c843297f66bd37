import { describe, expect, it } from "vitest";
import { RENEW_MARGIN_MS, renewAt, TOKEN_LIFETIME_MS, tokenLifetime } from "../../../src/payzero/jwt.js";
import { issueToken } from "../../../src/simulator/fake-token.js";

// The token of section 1 of Payzero's doc: iat 1553066985, exp 1553081385 (4 hours later).
const DOC_TOKEN =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbIlJPTEVfVVNFUiIsIlJPTEVfQURNSU4iXSwiaWF0IjoxNTUzMDY2OTg1LCJleHAiOjE1NTMwODEzODV9.KIfG8LOk2FoMgqXAU8DCg_cbci36OqbLUIHUdIXDsF0";

const jwt = (claims: object) => `x.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.y`;

describe("tokenLifetime", () => {
  it("is exp - iat of Payzero's example token: 4 hours", () => {
    expect(tokenLifetime(DOC_TOKEN)).toBe(4 * 3600_000);
  });

  it.each([
    ["an opaque token", "opaque-token"],
    ["an unreadable payload", "a.%%%.c"],
    ["no exp", jwt({ sub: "a", iat: 1 })],
    ["no iat", jwt({ sub: "a", exp: 1553081385 })],
    ["exp before iat", jwt({ iat: 10, exp: 5 })],
    ["a string exp", jwt({ iat: 10, exp: "20" })],
    ["a null payload", "a.bnVsbA.c"],
  ])("is null for %s", (_name, token) => {
    expect(tokenLifetime(token)).toBeNull();
  });
});

describe("renewAt", () => {
  it("is the token's lifetime less 5 minutes after login, on the clock the login was timed with", () => {
    // A monotonic clock reading, nothing like the epoch times inside the token.
    expect(renewAt(DOC_TOKEN, 12_345)).toBe(12_345 + 4 * 3600_000 - RENEW_MARGIN_MS);
  });

  it("does not depend on how far the local clock is from Payzero's", () => {
    // Issued by a Payzero clock 4 hours ahead of ours, or a day behind: the same renewal time.
    const ahead = issueToken("s", "a", Date.now() + 4 * 3600_000, 2 * 3600_000);
    const behind = issueToken("s", "a", Date.now() - 86_400_000, 2 * 3600_000);
    expect(renewAt(ahead, 1000)).toBe(1000 + 2 * 3600_000 - RENEW_MARGIN_MS);
    expect(renewAt(behind, 1000)).toBe(renewAt(ahead, 1000));
  });

  it("falls back to 4 hours after login when the token does not say its lifetime", () => {
    expect(renewAt("opaque", 1_000_000)).toBe(1_000_000 + TOKEN_LIFETIME_MS - RENEW_MARGIN_MS);
    expect(renewAt(jwt({ exp: 1 }), 0)).toBe(TOKEN_LIFETIME_MS - RENEW_MARGIN_MS);
  });

  it("keeps half the life of a short-lived token instead of renewing at once", () => {
    const token = issueToken("s", "a", 0, 60_000);
    expect(renewAt(token, 0)).toBe(30_000);
  });
});
