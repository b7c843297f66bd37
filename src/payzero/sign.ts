// Payzero's notification signature (section 3.2 of the QuickPay API): hand-written because it is
// Payzero-specific. sha1 over token, timestamp and msgBody sorted like Java's Arrays.sort
// (UTF-16 code units, which is what JavaScript's default sort compares) and concatenated.
//
// Section 3.2 names no encoding: Payzero's SDK hashes String.getBytes(), the JVM's default charset.
// That is UTF-8 on most servers, GBK on a JVM with a Chinese locale. Both are tried, UTF-8 first:
// GBK is hashed only when UTF-8 does not match, so the usual notification costs one hash per token.
import { createHash, timingSafeEqual } from "node:crypto";
import { encodeJavaGbk } from "./java-gbk.js";

/** The charsets a sign is checked over, in this order. */
const SIGN_CHARSETS = ["UTF-8", "GBK"] as const;
export type SignCharset = (typeof SIGN_CHARSETS)[number];

export function payzeroSign(
  signToken: string,
  timestamp: string,
  msgBody: string,
  charset: SignCharset = "UTF-8",
): string {
  const text = [signToken, timestamp, msgBody].sort().join("");
  const hash = createHash("sha1");
  if (charset === "UTF-8") hash.update(text, "utf8");
  else hash.update(encodeJavaGbk(text));
  return hash.digest("hex");
}

const SIGN_PATTERN = /^[0-9a-fA-F]{40}$/;

/**
 * The charset over which `sign` was made with one of `signTokens`, or undefined when it matches
 * none. Every token is tried, in constant time each, over UTF-8 and then, only if none matched, GBK.
 */
export function payzeroSignCharset(
  signTokens: readonly string[],
  timestamp: string,
  msgBody: string,
  sign: string,
): SignCharset | undefined {
  if (!SIGN_PATTERN.test(sign)) return undefined;
  const given = Buffer.from(sign.toLowerCase(), "latin1");
  const utf8 = signTokens.map((token) => payzeroSign(token, timestamp, msgBody));
  if (matchesAny(given, utf8)) return "UTF-8";
  if (matchesAny(given, gbkSigns(signTokens, timestamp, msgBody))) return "GBK";
  return undefined;
}

function matchesAny(given: Buffer, signs: string[]): boolean {
  let ok = false;
  for (const sign of signs) {
    // No early exit: the time taken does not depend on which token matched.
    ok = timingSafeEqual(given, Buffer.from(sign, "latin1")) || ok;
  }
  return ok;
}

/**
 * payzeroSign over GBK for each token, msgBody encoded once rather than once per token (GBK maps
 * each character on its own, so the bytes of the parts, in sorted order, are the bytes of the text).
 */
function gbkSigns(signTokens: readonly string[], timestamp: string, msgBody: string): string[] {
  const encoded = [timestamp, msgBody].map((text) => ({ text, bytes: encodeJavaGbk(text) }));
  return signTokens.map((token) => {
    const parts = [{ text: token, bytes: encodeJavaGbk(token) }, ...encoded].sort((a, b) =>
      a.text < b.text ? -1 : a.text > b.text ? 1 : 0,
    );
    // A surrogate pair split between two parts is one character of the text: encode it whole.
    if (parts.some((p, i) => i > 0 && splitsPair(parts[i - 1]!.text, p.text))) {
      return payzeroSign(token, timestamp, msgBody, "GBK");
    }
    const hash = createHash("sha1");
    for (const part of parts) hash.update(part.bytes);
    return hash.digest("hex");
  });
}

function splitsPair(before: string, after: string): boolean {
  return /[\uD800-\uDBFF]$/.test(before) && /^[\uDC00-\uDFFF]/.test(after);
}

/** True when `sign` was made with one of `signTokens`, over UTF-8 or GBK. */
export function verifyPayzeroSign(
  signTokens: readonly string[],
  timestamp: string,
  msgBody: string,
  sign: string,
): boolean {
  return payzeroSignCharset(signTokens, timestamp, msgBody, sign) !== undefined;
}

/**
 * True when `sign` was made with one of `signTokens` over `charset` alone: the worker's check of what
 * the receiver verified over that charset (one hash per token, GBK never tried for a UTF-8 sign).
 */
export function verifyPayzeroSignOver(
  signTokens: readonly string[],
  timestamp: string,
  msgBody: string,
  sign: string,
  charset: SignCharset,
): boolean {
  if (!SIGN_PATTERN.test(sign)) return false;
  const given = Buffer.from(sign.toLowerCase(), "latin1");
  const signs =
    charset === "UTF-8"
      ? signTokens.map((token) => payzeroSign(token, timestamp, msgBody))
      : gbkSigns(signTokens, timestamp, msgBody);
  return matchesAny(given, signs);
}

/** Whether `value` names a charset a sign is checked over. */
export function isSignCharset(value: unknown): value is SignCharset {
  return (SIGN_CHARSETS as readonly unknown[]).includes(value);
}
