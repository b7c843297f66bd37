import { describe, expect, it } from "vitest";
import { jwtExpiry, RENEW_MARGIN_MS, renewAt, TOKEN_LIFETIME_MS } from "../../../src/payzero/jwt.js";
import { issueToken } from "../../../src/simulator/fake-token.js";

// The token of section 1 of Payzero's doc: iat 1553066985, exp 1553081385 (4 hours later).
const DOC_TOKEN =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbIlJPTEVfVVNFUiIsIlJPTEVfQURNSU4iXSwiaWF0IjoxNTUzMDY2OTg1LCJleHAiOjE1NTMwODEzODV9.KIfG8LOk2FoMgqXAU8DCg_cbci36OqbLUIHUdIXDsF0";

describe("jwtExpiry", () => {
  it("reads exp from Payzero's example token", () => {
    expect(jwtExpiry(DOC_TOKEN)).toBe(1553081385_000);
  });

  it.each([
    "opaque-token",
    "a.%%%.c",
    `x.${Buffer.from('{"sub":"a"}').toString("base64url")}.y`,
    "a.bnVsbA.c",
  ])("answers null for a token without a readable exp: %s", (token) => {
    expect(jwtExpiry(token)).toBeNull();
  });
});

describe("renewAt", () => {
  it("is 5 minutes before the token's expiry", () => {
    expect(renewAt(DOC_TOKEN, 1553066985_000)).toBe(1553081385_000 - RENEW_MARGIN_MS);
  });

  it("falls back to 4 hours after login when the token names no expiry", () => {
    expect(renewAt("opaque", 1_000_000)).toBe(1_000_000 + TOKEN_LIFETIME_MS - RENEW_MARGIN_MS);
  });

  it("keeps half the life of a short-lived token instead of renewing at once", () => {
    const token = issueToken("s", "a", 0, 60_000);
    expect(renewAt(token, 0)).toBe(30_000);
  });

  it("renews at once when the token is already expired", () => {
    const token = issueToken("s", "a", 0, 60_000);
    expect(renewAt(token, 120_000)).toBe(60_000);
  });
});
