import { describe, expect, it } from "vitest";
import { generateEndpointId, generateSecret, secretProblem } from "../../../src/webhooks/endpoints/secret.js";

describe("secrets and ids", () => {
  it("generates whsec_ keys that standardwebhooks accepts and that pass our own check", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(secretProblem(a)).toBeUndefined();
    expect(generateSecret()).not.toBe(a);
  });

  it("refuses secrets that are not whsec_ base64 of 24–64 bytes", () => {
    expect(secretProblem("abc")).toMatch(/whsec_/);
    expect(secretProblem("whsec_")).toBeDefined();
    expect(secretProblem("whsec_***not base64***")).toBeDefined();
    expect(secretProblem(`whsec_${Buffer.alloc(8).toString("base64")}`)).toMatch(/24–64 bytes/);
    expect(secretProblem(`whsec_${Buffer.alloc(24, 7).toString("base64")}`)).toBeUndefined();
  });

  it("makes endpoint ids that sort in creation order", () => {
    const ids = [generateEndpointId(1000), generateEndpointId(2000), generateEndpointId(1_800_000_000_000)];
    expect(ids.every((id) => /^ep_[0-9a-f]{28}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });
});
