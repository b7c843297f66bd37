// Row ids as the doors take them: every id a Postgres bigserial holds, and nothing else.
import { describe, expect, it } from "vitest";
import { parseInvocation, UsageError } from "../../../src/cli/args.js";
import { parseBigintId } from "../../../src/db/bigint-id.js";

describe("a row id", () => {
  it("is any positive bigint in decimal, up to 2^63 − 1 (19 digits)", () => {
    expect(parseBigintId("1")).toBe(1n);
    expect(parseBigintId("1000000000000000000")).toBe(1_000_000_000_000_000_000n);
    expect(parseBigintId("9223372036854775807")).toBe(9_223_372_036_854_775_807n);
  });

  it("is not zero, a leading zero, a sign, a fraction, or past the bigint range", () => {
    for (const text of [
      "",
      "0",
      "01",
      "-1",
      "+1",
      "1.0",
      "1e3",
      " 1",
      "abc",
      "9223372036854775808",
      "12345678901234567890",
    ])
      expect(parseBigintId(text), text).toBeUndefined();
  });

  it("is what the CLI takes for a delivery: 19 digits too", () => {
    expect(parseInvocation(["retry", "9223372036854775807"])).toMatchObject({
      target: { deliveryId: 9_223_372_036_854_775_807n },
    });
    expect(() => parseInvocation(["retry", "9223372036854775808"])).toThrow(UsageError);
  });
});
