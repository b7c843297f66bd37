// What Payzero's HTTP client may send: the JSON as application/json or any text/* type, in UTF-8
// or in the charset it declares (GBK, GB2312, GB18030); anything else is refused with 415, and every
// guard holds for every accepted type.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyKey, signedKey } from "../../../src/payzero/envelope.js";
import { type IngestHarness, queuedMessage, queuedMessages, startIngest } from "../../support/ingest.js";
import { gbkFixture, orderBody, signedEnvelope } from "../../support/payzero.js";

let h: IngestHarness;
beforeAll(async () => {
  h = await startIngest();
});
afterAll(async () => {
  await h.close();
});

function post(body: string | Buffer, contentType?: string) {
  return h.app.inject({
    method: "POST",
    url: "/payzero/notify",
    headers: contentType === undefined ? {} : { "content-type": contentType },
    body,
  });
}

/** Messages in the queue's jobs, whatever their state. */
async function messageCount(): Promise<number> {
  return (await queuedMessages(h.queue)).length;
}

describe("content types", () => {
  it.each([
    "application/json",
    "application/json;charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/json;charset=UTF-8;",
    "text/plain",
    "text/plain;charset=UTF-8",
    "TEXT/PLAIN; Charset=utf8",
    "text/json",
    "text/html; charset=utf-8",
  ])("takes the JSON sent as %s", async (type) => {
    const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `CT-${type}` }));
    const res = await post(JSON.stringify(env), type);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe("OK");
    expect((await queuedMessage(h.queue, signedKey(env.sign)))?.msgBody).toBe(env.msgBody);
  });

  it.each([
    ["no content type", undefined, /no content-type/],
    [
      "form data",
      "application/x-www-form-urlencoded",
      /"application\/x-www-form-urlencoded" is not accepted/,
    ],
    ["XML", "application/xml", /"application\/xml" is not accepted/],
    ["multipart", "multipart/form-data; boundary=x", /"multipart\/form-data" is not accepted/],
    ["a JSON look-alike", "application/jsonx", /"application\/jsonx" is not accepted/],
    ["a type without subtype", "text", /"text" is not accepted/],
    ["Latin-1", "text/plain; charset=ISO-8859-1", /charset "iso-8859-1" is not supported/],
    ["UTF-16", "application/json; charset=UTF-16", /charset "utf-16" is not supported/],
    ["Big5", "application/json;charset=big5", /charset "big5" is not supported/],
    ["an empty charset", "application/json; charset=", /charset \(unreadable\) is not supported/],
    ["a charset named like a prototype key", "application/json; charset=constructor", /not supported/],
  ])("refuses %s with 415 naming it, and queues nothing", async (_name, type, message) => {
    const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "CT-REFUSED" }));
    const before = await messageCount();
    const res = await post(JSON.stringify(env), type);
    expect(res.statusCode).toBe(415);
    expect(res.body).toMatch(message);
    expect(await messageCount()).toBe(before);
  });

  it("refuses a POST with neither a body nor a content type with 415", async () => {
    const res = await h.app.inject({ method: "POST", url: "/payzero/notify" });
    expect(res.statusCode).toBe(415);
    expect(res.body).toMatch(/no content-type/);
  });
});

describe("charsets", () => {
  const vectors = gbkFixture.vectors;
  /** What Java's GBK keeps of a msgBody: it writes "?" for what GBK lacks (see the fixture's codes). */
  const inGbk = (msgBody: string) => msgBody.replace(/[䶮😀⊕]/gu, "?");

  it.each(
    vectors.flatMap((v) => [
      { ...v, type: "application/json;charset=GBK", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      { ...v, type: "text/plain; charset=gbk", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      // What a JVM whose default charset is GBK sends with a bare content type.
      { ...v, type: "application/json", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      { ...v, type: "text/plain", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      { ...v, type: "application/json; charset=cp936", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      { ...v, type: "application/json; charset=x-gbk", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      { ...v, type: "text/plain; charset=Windows-936", bytes: v.envelopeGbk, expected: inGbk(v.msgBody) },
      { ...v, type: "application/json;charset=GB18030", bytes: v.envelopeGb18030, expected: v.msgBody },
    ]),
  )("reads a body Java wrote as $type and checks its GBK sign: $name", async (c) => {
    expect(inGbk(c.msgBody) === c.msgBody).toBe(!/[䶮😀⊕]/u.test(c.msgBody));
    const res = await post(Buffer.from(c.bytes, "base64"), c.type);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe("OK");
    const message = await queuedMessage(h.queue, bodyKey(c.expected));
    expect(message).toMatchObject({
      msgType: c.msgType,
      msgBody: c.expected,
      timestamp: String(c.timestamp),
    });
  });

  it("takes a GBK body with no declared charset over real HTTP, as a JVM whose default is GBK sends it", async () => {
    const url = await h.app.listen({ port: 0, host: "127.0.0.1" });
    for (const v of vectors) {
      const bytes = Buffer.from(v.envelopeGbk, "base64");
      const res = await fetch(`${url}/payzero/notify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bytes,
      });
      expect(await res.text()).toBe("OK");
      const message = await queuedMessage(h.queue, bodyKey(inGbk(v.msgBody)));
      expect(message).toMatchObject({ msgBody: inGbk(v.msgBody), timestamp: String(v.timestamp) });
    }
  });

  it("reads a body declared GB2312 as GBK, which contains it", async () => {
    const v = vectors[0]!;
    const res = await post(Buffer.from(v.envelopeGbk, "base64"), "text/plain;charset=GB2312");
    expect(res.body).toBe("OK");
  });

  it("refuses a GBK body declared as UTF-8: the text read is not the text signed", async () => {
    const before = await messageCount();
    for (const v of vectors) {
      for (const type of ["application/json;charset=UTF-8", "text/plain; charset=utf8"]) {
        const res = await post(Buffer.from(v.envelopeGbk, "base64"), type);
        expect(res.statusCode).toBe(401);
        expect(res.body).toBe("bad sign");
      }
    }
    expect(await messageCount()).toBe(before);
  });

  it("refuses a GBK-signed body changed in transit with 401 and queues nothing", async () => {
    const before = await messageCount();
    for (const v of vectors) {
      const bytes = Buffer.from(v.envelopeGbk, "base64");
      // The last two-byte character of the envelope (all of them are inside msgBody) becomes another.
      const at = bytes.findLastIndex((b, i) => b >= 0xb0 && b <= 0xd6 && i + 1 < bytes.length);
      expect(at).toBeGreaterThan(0);
      const changed = Buffer.from(bytes);
      changed[at] = changed[at]! + 1;
      const res = await post(changed, "application/json;charset=GBK");
      expect(res.statusCode).toBe(401);
      expect(res.body).toBe("bad sign");
    }
    expect(await messageCount()).toBe(before);
  });
});

describe("the guards, for every accepted content type and charset", () => {
  const types = [
    "application/json",
    "text/plain",
    "application/json;charset=GBK",
    "text/plain;charset=GB18030",
  ];
  const valid = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "GUARDS" }), 1555816968018);
  const nul = signedEnvelope("PAY_STATUS_NOTIFY", '{"mchtOrderNo":"N\u0000UL"}');
  const cases: Array<[string, string | Buffer, number]> = [
    ["a body over 64 KiB", JSON.stringify({ ...valid, msgBody: "x".repeat(2 * 1024 * 1024) }), 413],
    ["a NUL character", JSON.stringify(nul), 400],
    [
      "a NUL byte outside a string",
      Buffer.concat([Buffer.from(JSON.stringify(valid)), Buffer.from([0])]),
      400,
    ],
    ["a __proto__ key", `{"__proto__":{"polluted":1},${JSON.stringify(valid).slice(1)}`, 400],
    [
      "a constructor.prototype key",
      `{"constructor":{"prototype":{"x":1}},${JSON.stringify(valid).slice(1)}`,
      400,
    ],
    ["text that is not JSON", "this is not json", 400],
    ["a JSON string", '"OK"', 400],
    ["an empty body", "", 400],
  ];

  it.each(types.flatMap((type) => cases.map(([name, body, status]) => ({ type, name, body, status }))))(
    "$type: answers $name with $status and queues nothing",
    async ({ type, body, status }) => {
      const before = await messageCount();
      const res = await post(body, type);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.body).not.toBe("OK");
      expect(await messageCount()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it("does not repeat the body in the answer to JSON it cannot parse", async () => {
    const res = await post('{"payerName":"周Xx", oops}', "text/plain");
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe("body is not valid JSON");
  });
});
