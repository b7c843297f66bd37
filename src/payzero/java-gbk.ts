// GBK as Java's "GBK" charset has it: the JVM's default under a Chinese locale, which Payzero's
// SDK hashes the sign with (String.getBytes()) and a Java HTTP client may encode a body with.
//
// iconv-lite's "gbk" (the WHATWG one) gives 82 two-byte codes the characters GB18030-2005 gave them
// (FE9F = 䶮 U+4DAE, A8BC = ḿ U+1E3F, …) where Java keeps CP936's private-use code points
// (FE9F = U+E863), maps A892 to ⊕ U+2295 where Java has ♁ U+2641, A3A0 to U+3000 where Java has
// U+E5E5, and writes € as 0x80 where Java writes A2E3. Compared with OpenJDK 17 over every BMP code
// point and every two-byte sequence, these are the only differences (besides 0x80, which Java never
// writes). No package reproduces Java's table, so they are corrected here, on top of iconv-lite.
import iconv from "iconv-lite";

/** The two-byte codes where Java's GBK and iconv-lite's differ, with Java's character for each. */
function javaOnlyCodes(): Array<[code: number, javaChar: string]> {
  const codes: Array<[number, string]> = [
    [0xa3a0, "\ue5e5"],
    [0xa892, "\u2641"],
    [0xa8bc, "\ue7c7"],
    [0xa8bf, "\ue7c8"],
  ];
  for (let i = 0; i <= 0x0c; i++) codes.push([0xa989 + i, String.fromCharCode(0xe7e7 + i)]);
  // FE50…FEA0 hold CP936's private-use U+E815… in trail-byte order (0x7F is no trail byte).
  let pua = 0xe815;
  for (let trail = 0x50; trail <= 0xa0; trail++) {
    if (trail === 0x7f) continue;
    codes.push([0xfe00 + trail, String.fromCharCode(pua++)]);
  }
  return codes.filter(([code, javaChar]) => iconv.decode(bytesOf(code), "gbk") !== javaChar);
}

function bytesOf(code: number): Buffer {
  return Buffer.from([code >> 8, code & 0xff]);
}

const QUESTION_MARK = Buffer.from("?");
const encodeFix = new Map<string, Buffer>([["\u20ac", Buffer.from([0xa2, 0xe3])]]);
const decodeFix = new Map<number, string>();
for (const [code, javaChar] of javaOnlyCodes()) {
  // iconv-lite's character for the code has no other code (A3A0's U+3000 has A1A1): Java writes "?".
  const iconvChar = iconv.decode(bytesOf(code), "gbk");
  if (iconv.encode(iconvChar, "gbk").equals(bytesOf(code))) encodeFix.set(iconvChar, QUESTION_MARK);
  encodeFix.set(javaChar, bytesOf(code));
  decodeFix.set(code, javaChar);
}
const needsEncodeFix = new RegExp(`[${[...encodeFix.keys()].join("")}]`, "gu");

/** The bytes of `text` in Java's GBK; characters it lacks (and lone surrogates) become "?", as in Java. */
export function encodeJavaGbk(text: string): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (const match of text.matchAll(needsEncodeFix)) {
    parts.push(iconv.encode(text.slice(from, match.index), "gbk"), encodeFix.get(match[0])!);
    from = match.index + match[0].length;
  }
  if (from === 0) return iconv.encode(text, "gbk");
  parts.push(iconv.encode(text.slice(from), "gbk"));
  return Buffer.concat(parts);
}

/** `bytes` read as Java's GBK; invalid sequences become U+FFFD. */
export function decodeJavaGbk(bytes: Buffer): string {
  let out = "";
  let from = 0;
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x81 || lead > 0xfe || i + 1 === bytes.length) {
      i++;
      continue;
    }
    const javaChar = decodeFix.get((lead << 8) | bytes[i + 1]!);
    if (javaChar !== undefined) {
      out += iconv.decode(bytes.subarray(from, i), "gbk") + javaChar;
      from = i + 2;
    }
    i += 2;
  }
  return from === 0 ? iconv.decode(bytes, "gbk") : out + iconv.decode(bytes.subarray(from), "gbk");
}
