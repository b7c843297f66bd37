import { describe, expect, it } from "vitest";
import { rotateSecret } from "../../../src/webhooks/endpoints/rotation.js";
import { generateSecret, signingSecrets } from "../../../src/webhooks/endpoints/secret.js";

describe("secret rotation", () => {
  const now = new Date("2026-11-26T12:00:00Z");
  const [a, b, c] = [generateSecret(), generateSecret(), generateSecret()];
  const plain = { secret: a, previousSecret: null, previousSecretExpiresAt: null };

  it("keeps the old secret for the overlap, or drops it at once with 0", () => {
    const rotated = rotateSecret(plain, b, 3600, now);
    expect(rotated).toEqual({
      secret: b,
      previousSecret: a,
      previousSecretExpiresAt: new Date("2026-11-26T13:00:00Z"),
    });
    expect(rotateSecret(rotated, c, 0, now)).toEqual({
      secret: c,
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    // Only the secret right before the last rotation is kept.
    expect(rotateSecret(rotated, c, 60, now)).toMatchObject({ secret: c, previousSecret: b });
  });

  it("is no rotation when the secret stays the same: a running overlap goes on", () => {
    const rotated = rotateSecret(plain, b, 3600, now);
    expect(rotateSecret(rotated, b, 0, now)).toBe(rotated);
  });

  it("signs with both secrets until the old one expires, then with the new one only", () => {
    const rotated = rotateSecret(plain, b, 3600, now);
    expect(signingSecrets(plain, now)).toEqual([a]);
    expect(signingSecrets(rotated, now)).toEqual([b, a]);
    expect(signingSecrets(rotated, new Date("2026-11-26T12:59:59Z"))).toEqual([b, a]);
    expect(signingSecrets(rotated, new Date("2026-11-26T13:00:00Z"))).toEqual([b]);
    expect(signingSecrets({ ...rotated, previousSecret: b }, now)).toEqual([b]);
  });
});
