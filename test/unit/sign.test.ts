import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { payzeroSign, verifyPayzeroSign } from "../../src/payzero/sign.js";
import { signVectors } from "../support/payzero.js";

describe("Payzero sign", () => {
  it.each(signVectors)("reproduces Payzero's Java sign: $name", (v) => {
    expect(payzeroSign(v.signToken, String(v.timestamp), v.msgBody)).toBe(v.sign);
    expect(verifyPayzeroSign([v.signToken], String(v.timestamp), v.msgBody, v.sign)).toBe(true);
    expect(verifyPayzeroSign([v.signToken], String(v.timestamp), v.msgBody, v.sign.toUpperCase())).toBe(true);
  });

  it("accepts a sign made with any configured token and refuses one made with another", () => {
    const v = signVectors[0]!;
    const ts = String(v.timestamp);
    expect(verifyPayzeroSign(["old-token", v.signToken], ts, v.msgBody, v.sign)).toBe(true);
    expect(verifyPayzeroSign(["old-token", "new-token"], ts, v.msgBody, v.sign)).toBe(false);
    expect(verifyPayzeroSign([], ts, v.msgBody, v.sign)).toBe(false);
  });

  it("refuses any change to timestamp, msgBody or sign", () => {
    for (const v of signVectors) {
      const ts = String(v.timestamp);
      expect(verifyPayzeroSign([v.signToken], `${Number(ts) + 1}`, v.msgBody, v.sign)).toBe(false);
      expect(verifyPayzeroSign([v.signToken], ts, `${v.msgBody} `, v.sign)).toBe(false);
      expect(verifyPayzeroSign([v.signToken], ts, v.msgBody, `${v.sign.slice(0, 39)}x`)).toBe(false);
      const flipped = (Number.parseInt(v.sign[0]!, 16) ^ 1).toString(16) + v.sign.slice(1);
      expect(verifyPayzeroSign([v.signToken], ts, v.msgBody, flipped)).toBe(false);
      expect(verifyPayzeroSign([v.signToken], ts, v.msgBody, v.sign.slice(0, 38))).toBe(false);
    }
  });

  it("sorts by UTF-16 code units like Java's Arrays.sort, not by locale", () => {
    // "Z" (0x5A) sorts before "a" (0x61) in code units but after it in most locales;
    // "\u{1F600}" (surrogates 0xD83D…) sorts before "\uFF21" in UTF-16 though its code point is larger.
    expect(payzeroSign("a", "1", "Z")).toBe(payzeroSign("Z", "1", "a"));
    const javaOrder = ["1", "Z", "a"].join("");
    expect(payzeroSign("a", "1", "Z")).toBe(createHash("sha1").update(javaOrder).digest("hex"));
    const emoji = "\u{1F600}";
    const fullwidth = "\uFF21";
    expect(payzeroSign(fullwidth, "1", emoji)).toBe(
      createHash("sha1").update(`1${emoji}${fullwidth}`, "utf8").digest("hex"),
    );
  });

  it("does not depend on which of the three strings is the token (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        const s = payzeroSign(a, b, c);
        return s === payzeroSign(b, c, a) && s === payzeroSign(c, a, b) && /^[0-9a-f]{40}$/.test(s);
      }),
    );
  });

  it("never throws on arbitrary sign text (fuzz)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (body, sign) => {
        expect(verifyPayzeroSign(["t"], "1", body, sign)).toBe(false);
      }),
    );
  });
});
