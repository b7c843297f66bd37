// Payzero's notification signature (section 3.2 of the QuickPay API): hand-written because it is
// Payzero-specific. sha1 over token, timestamp and msgBody sorted like Java's Arrays.sort
// (UTF-16 code units, which is what JavaScript's default sort compares) and concatenated.
import { createHash, timingSafeEqual } from "node:crypto";

export function payzeroSign(signToken: string, timestamp: string, msgBody: string): string {
  const parts = [signToken, timestamp, msgBody].sort();
  return createHash("sha1").update(parts.join(""), "utf8").digest("hex");
}

const SIGN_PATTERN = /^[0-9a-fA-F]{40}$/;

/** True when `sign` was made with one of `signTokens`. Every token is tried, in constant time each. */
export function verifyPayzeroSign(
  signTokens: readonly string[],
  timestamp: string,
  msgBody: string,
  sign: string,
): boolean {
  if (!SIGN_PATTERN.test(sign)) return false;
  const given = Buffer.from(sign.toLowerCase(), "latin1");
  let ok = false;
  for (const token of signTokens) {
    const expected = Buffer.from(payzeroSign(token, timestamp, msgBody), "latin1");
    // No early exit: the time taken does not depend on which token matched.
    ok = timingSafeEqual(given, expected) || ok;
  }
  return ok;
}
