// Which notification bodies the receiver reads, and in which charset. Payzero's document says the
// body is JSON and names neither a content type nor a charset: Java HTTP clients send a string as
// text/plain as often as application/json, and a JVM whose default charset is GBK may encode it so.
//
// Hand-written rather than the `content-type` package, which throws on any malformed parameter (a
// stray ";" would then lose a notification); only the media type and the charset matter here.

/**
 * How a body's bytes are read. GB2312 bodies are read as GBK, which contains it. null: no charset
 * declared (read as UTF-8 when the bytes are UTF-8, else as a JVM with a Chinese default writes them).
 */
export type BodyCharset = "UTF-8" | "GBK" | "GB18030";

const CHARSETS = new Map<string, BodyCharset>([
  ["utf-8", "UTF-8"],
  ["utf8", "UTF-8"],
  ["gbk", "GBK"],
  // Java's and Windows' names for the same code page.
  ["cp936", "GBK"],
  ["windows-936", "GBK"],
  ["x-gbk", "GBK"],
  ["gb2312", "GBK"],
  ["gb18030", "GB18030"],
]);

const TEXT_TYPE = /^text\/[\w!#$%&'*+.^`|~-]+$/;
const CHARSET_PARAMETER = /;\s*charset\s*=\s*("[^"]*"|[^;\s]*)/i;
/** Only names like these are repeated in the answer and the log. */
const SHOWABLE = /^[\w!#$%&'*+./^`|~-]{1,64}$/;

/**
 * A 415 (RFC 9110 §15.5.16: the content is in a format this resource does not support): the request
 * may be well formed, and a charset is part of the media type, so 415 rather than 400. Either way
 * Payzero sends the notification again; the metric counts it as bad_request.
 */
class UnsupportedBodyError extends Error {
  readonly statusCode = 415;
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedBodyError";
  }
}

/**
 * The charset to read a body of `contentType` in: JSON is parsed from `application/json` and every
 * `text/*` type, in the charset it declares (UTF-8, GBK and its aliases, GB2312, GB18030), null when it
 * declares none. Anything else throws an UnsupportedBodyError.
 */
export function bodyCharset(contentType: string | undefined): BodyCharset | null {
  if (contentType === undefined) {
    throw new UnsupportedBodyError("no content-type: send the JSON as application/json or text/plain");
  }
  const end = contentType.indexOf(";");
  const mediaType = (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
  if (mediaType !== "application/json" && !TEXT_TYPE.test(mediaType)) {
    throw new UnsupportedBodyError(
      `content-type ${shown(mediaType)} is not accepted: send the JSON as application/json or text/plain`,
    );
  }
  if (end === -1) return null;
  const declared = CHARSET_PARAMETER.exec(contentType.slice(end))?.[1];
  if (declared === undefined) return null;
  const name = declared.replace(/^"|"$/g, "").toLowerCase();
  const charset = CHARSETS.get(name);
  if (charset === undefined) {
    throw new UnsupportedBodyError(`charset ${shown(name)} is not supported: send UTF-8, GBK or GB18030`);
  }
  return charset;
}

function shown(name: string): string {
  return SHOWABLE.test(name) ? `"${name}"` : "(unreadable)";
}
