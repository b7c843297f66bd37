// The notification route's body: JSON in any accepted content type (content-type.ts), read in its
// declared charset. Register inside the route's own plugin: the /v1 API keeps Fastify's parsers.
import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import iconv from "iconv-lite";
import secureJson from "secure-json-parse";
import { decodeJavaGbk } from "../payzero/java-gbk.js";
import { type BodyCharset, bodyCharset } from "./content-type.js";

export function readNotificationBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  // Refused before the body is read, as Fastify refuses an unknown media type.
  app.addHook("preParsing", async (request) => {
    bodyCharset(request.headers["content-type"]);
  });
  // Fastify's own limit (bodyLimit, 413) and raw-body reading apply to a "buffer" parser too.
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, body, done) => {
    try {
      done(null, parseJson(decode(body as Buffer, bodyCharset(request.headers["content-type"]))));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/**
 * UTF-8, the usual case, is read by Node itself; GBK as Java writes it; GB18030 by iconv-lite. A body
 * with no declared charset that is not valid UTF-8 is what a JVM whose default charset is GBK sends
 * with a bare `application/json`: read as Java's GBK, or as GB18030 (its superset, the default of a
 * zh_CN.GB18030 locale) when it holds sequences GBK does not have. The sign then decides, as for any body.
 */
function decode(bytes: Buffer, charset: BodyCharset | null): string {
  if (charset === null) return isUtf8(bytes) ? bytes.toString("utf8") : decodeChinese(bytes);
  if (charset === "UTF-8") return bytes.toString("utf8");
  if (charset === "GBK") return decodeJavaGbk(bytes);
  return iconv.decode(bytes, "gb18030");
}

function decodeChinese(bytes: Buffer): string {
  const gbk = decodeJavaGbk(bytes);
  return gbk.includes("\ufffd") ? iconv.decode(bytes, "gb18030") : gbk;
}

/** JSON.parse, refusing `__proto__` and `constructor.prototype` keys like Fastify's own parser. */
function parseJson(text: string): unknown {
  if (text.length === 0) throw badRequest("the body is empty");
  try {
    return secureJson.parse(text, null, { protoAction: "error", constructorAction: "error" });
  } catch (err) {
    // The message of JSON.parse quotes the body, which may hold personal data: never repeated.
    const poisoned = err instanceof SyntaxError && /forbidden prototype property/.test(err.message);
    throw badRequest(
      poisoned ? "body has a __proto__ or constructor.prototype key" : "body is not valid JSON",
    );
  }
}

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}
