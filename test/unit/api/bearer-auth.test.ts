import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAuthorized } from "../../../src/api/bearer-auth.js";

describe("isAuthorized", () => {
  it("accepts exactly Bearer <token>, scheme in any case", () => {
    expect(isAuthorized("Bearer s3cret", "s3cret")).toBe(true);
    expect(isAuthorized("bearer s3cret", "s3cret")).toBe(true);
    expect(isAuthorized("Bearer s3cre", "s3cret")).toBe(false);
    expect(isAuthorized("Bearer s3cret2", "s3cret")).toBe(false);
    expect(isAuthorized("s3cret", "s3cret")).toBe(false);
    expect(isAuthorized(undefined, "s3cret")).toBe(false);
  });

  it("refuses everything when no admin token is configured", () => {
    expect(isAuthorized("Bearer ", "")).toBe(false);
    expect(isAuthorized("Bearer x", "")).toBe(false);
  });

  it("accepts no other header (property)", () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        fc.pre(header.trim() !== "Bearer tok" && !/^bearer tok$/i.test(header.trim()));
        expect(isAuthorized(header, "tok")).toBe(false);
      }),
    );
  });
});
