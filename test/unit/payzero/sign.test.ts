import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJavaGbk, encodeJavaGbk } from "../../../src/payzero/java-gbk.js";
import { payzeroSign, payzeroSignCharset, verifyPayzeroSign } from "../../../src/payzero/sign.js";
import { gbkFixture, signVectors } from "../../support/payzero.js";

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

describe("Payzero sign from a JVM whose default charset is GBK", () => {
  it("is what the fixture says it is", () => {
    expect(gbkFixture.defaultCharset).toBe("GBK");
    expect(gbkFixture.vectors.length).toBeGreaterThanOrEqual(4);
  });

  it.each(gbkFixture.vectors)("is accepted over GBK once UTF-8 does not match: $name", (v) => {
    const ts = String(v.timestamp);
    expect(payzeroSign(v.signToken, ts, v.msgBody)).not.toBe(v.sign);
    expect(payzeroSign(v.signToken, ts, v.msgBody, "GBK")).toBe(v.sign);
    expect(payzeroSignCharset(["other", v.signToken], ts, v.msgBody, v.sign)).toBe("GBK");
    expect(verifyPayzeroSign([v.signToken], ts, v.msgBody, v.sign.toUpperCase())).toBe(true);
  });

  it("reports UTF-8 for Payzero's UTF-8 vectors: GBK is the fallback, not the first try", () => {
    for (const v of signVectors) {
      expect(payzeroSignCharset([v.signToken], String(v.timestamp), v.msgBody, v.sign)).toBe("UTF-8");
    }
  });

  it("refuses any change to a GBK-signed timestamp, msgBody, token or sign", () => {
    for (const v of gbkFixture.vectors) {
      const ts = String(v.timestamp);
      const flipped = (Number.parseInt(v.sign[0]!, 16) ^ 1).toString(16) + v.sign.slice(1);
      expect(verifyPayzeroSign([v.signToken], `${Number(ts) + 1}`, v.msgBody, v.sign)).toBe(false);
      expect(verifyPayzeroSign([v.signToken], ts, `${v.msgBody} `, v.sign)).toBe(false);
      const otherHanzi = v.msgBody.replace(/[\u4e00-\u9fa5]/, (c) =>
        String.fromCharCode(c.charCodeAt(0) + 1),
      );
      expect(otherHanzi).not.toBe(v.msgBody);
      expect(verifyPayzeroSign([v.signToken], ts, otherHanzi, v.sign)).toBe(false);
      expect(verifyPayzeroSign([`${v.signToken}x`], ts, v.msgBody, v.sign)).toBe(false);
      expect(verifyPayzeroSign([v.signToken], ts, v.msgBody, flipped)).toBe(false);
    }
  });

  it('cannot tell apart characters GBK lacks, and "?": Java writes "?" for each', () => {
    const v = gbkFixture.vectors.find((x) => x.msgBody.includes("䶮"))!;
    const ts = String(v.timestamp);
    expect(verifyPayzeroSign([v.signToken], ts, v.msgBody.replace("䶮", "?"), v.sign)).toBe(true);
    expect(verifyPayzeroSign([v.signToken], ts, v.msgBody.replace("䶮", "😀"), v.sign)).toBe(true);
  });

  it("checks each token over GBK as over the whole joined text, surrogate pairs split by the sort included (property)", () => {
    const text = fc.string({
      unit: fc.constantFrom("a", "1", "周", "€", "䶮", "\ue863", "\ud83d", "\ude00", "😀"),
    });
    fc.assert(
      fc.property(text, text, text, (token, timestamp, msgBody) => {
        const sign = payzeroSign(token, timestamp, msgBody, "GBK");
        const found = payzeroSignCharset(["other", token], timestamp, msgBody, sign);
        return found === (payzeroSign(token, timestamp, msgBody) === sign ? "UTF-8" : "GBK");
      }),
      { numRuns: 2000 },
    );
    // "1" < "\ud83d" < "\ude00…": the sort joins the token's high surrogate to msgBody's low one.
    const sign = createHash("sha1").update(Buffer.from("1?x")).digest("hex");
    expect(payzeroSignCharset(["\ud83d"], "1", "\ude00x", sign)).toBe("GBK");
  });

  it("hashes the bytes Java's GBK gives each character, not WHATWG's", () => {
    for (const { char, gbk } of gbkFixture.codes) {
      expect(encodeJavaGbk(char).toString("hex"), `U+${char.codePointAt(0)?.toString(16)}`).toBe(gbk);
      expect(payzeroSign("", "", char, "GBK")).toBe(
        createHash("sha1").update(Buffer.from(gbk, "hex")).digest("hex"),
      );
    }
  });

  it("reads Java's GBK bytes back as Java's characters", () => {
    for (const { char, gbk } of gbkFixture.codes.filter((c) => c.gbk !== "3f")) {
      expect(decodeJavaGbk(Buffer.from(gbk, "hex"))).toBe(char);
      expect(decodeJavaGbk(Buffer.from(`41${gbk}42${gbk}`, "hex"))).toBe(`A${char}B${char}`);
    }
  });

  it("reads any text it wrote back unchanged, when GBK has every character (property)", () => {
    const gbkText = fc.string({ unit: fc.constantFrom(...'周Xx口红€♁\ue863\ue5e5　支付{}":,0a') });
    fc.assert(fc.property(gbkText, (text) => decodeJavaGbk(encodeJavaGbk(text)) === text));
  });
});
