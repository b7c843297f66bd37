// Hostile input: thousands of random and mutated requests. No 5xx, no crash, nothing queued or stored.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queuedMessages } from "../../support/ingest.js";
import { gbkFixture, orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ v1RateLimitPerMinute: 1_000_000 });
  p.startWorker();
});
afterAll(() => p.close());

const valid = signedEnvelope(
  "PAY_STATUS_NOTIFY",
  orderBody({ mchtOrderNo: "FUZZ-1", payStatus: "PAY_SUCCEED" }),
);

/** A valid envelope broken in one way that must always be refused. */
const mutated = fc.oneof(
  fc.record({ i: fc.nat(), c: fc.string({ minLength: 1, maxLength: 1 }) }).map(({ i, c }) => {
    const at = i % valid.msgBody.length;
    const msgBody = valid.msgBody.slice(0, at) + c + valid.msgBody.slice(at);
    return JSON.stringify({ ...valid, msgBody });
  }),
  fc
    .integer({ min: 1, max: 10_000 })
    .map((d) => JSON.stringify({ ...valid, timestamp: Number(valid.timestamp) + d })),
  fc.nat({ max: 39 }).map((i) => {
    const c = valid.sign[i] === "a" ? "b" : "a";
    return JSON.stringify({ ...valid, sign: valid.sign.slice(0, i) + c + valid.sign.slice(i + 1) });
  }),
  fc
    .constantFrom("timestamp", "msgType", "msgBody", "sign")
    .map((k) => JSON.stringify({ ...valid, [k]: undefined })),
  fc
    .record({ k: fc.constantFrom("timestamp", "msgType", "msgBody", "sign"), v: fc.jsonValue() })
    .filter(({ k, v }) => typeof v !== "string" && !(k === "timestamp" && typeof v === "number"))
    .map(({ k, v }) => JSON.stringify({ ...valid, [k]: v })),
  fc.nat({ max: 50_000 }).map((d) => `${"[".repeat(d)}${"]".repeat(d)}`),
  fc
    .nat({ max: 5000 })
    .map(
      (d) => `{"a":${'{"a":'.repeat(d)}1${"}".repeat(d)},${JSON.stringify(valid).slice(1, -1)},"sign":"x"}`,
    ),
);
/** A notification Java wrote in GBK, one byte of its msgBody replaced: never the text signed. */
const gbkMutated = fc
  .record({ v: fc.constantFrom(...gbkFixture.vectors), i: fc.nat(), b: fc.integer({ min: 0, max: 255 }) })
  .map(({ v, i, b }) => {
    const bytes = Buffer.from(v.envelopeGbk, "base64");
    const from = bytes.indexOf('"msgBody":"') + 11;
    const at = from + (i % (bytes.indexOf('","sign":') - from));
    const changed = Buffer.from(bytes);
    changed[at] = b === bytes[at] ? b ^ 1 : b;
    return changed;
  });
const anyBody = fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 4 }), mutated, gbkMutated);
const contentType = fc.oneof(
  fc.constant("application/json"),
  fc.constant("application/json; charset=utf-8"),
  fc.constantFrom(
    "text/plain; charset=UTF-8",
    "application/json;charset=GBK",
    "text/plain;charset=GB18030",
    "application/json; charset=latin1",
  ),
  fc.constantFrom(
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
  ),
  fc.string({ maxLength: 40 }),
);

/** Messages in the queue's jobs, whatever their state. */
async function queued(): Promise<number> {
  return (await queuedMessages(p.queue)).length;
}

describe("fuzzing POST /payzero/notify", () => {
  it("answers every broken request with a 4xx and queues nothing", async () => {
    const before = await queued();
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(anyBody, contentType, fc.boolean(), async (body, type, withType) => {
        const res = await p.app.inject({
          method: "POST",
          url: "/payzero/notify",
          headers: withType ? { "content-type": type } : {},
          body,
        });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.body).not.toBe("OK");
      }),
      { numRuns: 3000 },
    );
    expect(await queued()).toBe(before);
    await p.drained();
    expect(await p.db.notification.count()).toBe(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    const ok = await p.app.inject({ method: "POST", url: "/payzero/notify", payload: valid });
    expect(ok.body).toBe("OK");
  });
});

describe("fuzzing /v1", () => {
  const segment = fc.oneof(
    fc.constantFrom(
      "orders",
      "notifications",
      "webhooks",
      "deliveries",
      "retry",
      "retry-failed",
      "..",
      "%00",
      "%2e%2e",
    ),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const query = fc.dictionary(
    fc.constantFrom(
      "limit",
      "cursor",
      "status",
      "payStatus",
      "declareStatus",
      "msgType",
      "mchtOrderNo",
      "webhookId",
      "x",
    ),
    fc.string({ maxLength: 30 }),
  );

  it("never answers 5xx, with or without the token", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT"),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        query,
        fc.boolean(),
        fc.option(fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 100 }))),
        async (method, path, q, authorized, body) => {
          const res = await p.app.inject({
            method: method as "GET",
            url: `/v1/${path.join("/")}?${new URLSearchParams(q).toString()}`,
            headers: {
              ...(authorized ? p.authorized : {}),
              ...(body ? { "content-type": "application/json" } : {}),
            },
            body: body ?? undefined,
          });
          expect(res.statusCode, `${method} /v1/${path.join("/")} → ${res.body}`).toBeLessThan(500);
          // "/v1/.." leaves /v1 altogether: the router's 404, not ours.
          const leaves = path.some((s) => s === ".." || s.toLowerCase() === "%2e%2e");
          // A NUL in the URL is refused (400) before anything else looks at the request.
          const allowed = path.some((s) => /%00/i.test(s)) ? [400, 401, 429] : [401, 429];
          if (!authorized && !leaves) expect(allowed).toContain(res.statusCode);
        },
      ),
      { numRuns: 2000 },
    );
    expect(await p.db.webhookEndpoint.count()).toBe(0);
  });
});

describe("NUL characters, which Postgres text cannot hold", () => {
  it("are refused with 400 in paths, queries and bodies, and never queued", async () => {
    // Correctly signed: only the NUL makes it unstorable.
    const nulBody = signedEnvelope("PAY_STATUS_NOTIFY", '{"mchtOrderNo":"N\u0000UL"}');
    const before = await queued();
    const cases = [
      p.app.inject({ url: "/v1/orders/%00", headers: p.authorized }),
      p.app.inject({ url: "/v1/orders?payStatus=%00", headers: p.authorized }),
      p.app.inject({ url: "/v1/notifications?mchtOrderNo=a%00b", headers: p.authorized }),
      p.app.inject({
        method: "POST",
        url: "/v1/webhooks",
        headers: p.authorized,
        payload: { url: "http://x/\u0000" },
      }),
      p.app.inject({
        method: "POST",
        url: "/v1/webhooks",
        headers: p.authorized,
        payload: { url: "http://x/", description: "a\u0000b" },
      }),
      p.app.inject({ method: "POST", url: "/payzero/notify", payload: nulBody }),
    ];
    const answers = await Promise.all(cases);
    for (const res of answers) expect(res.statusCode, res.body).toBe(400);
    // /v1 answers in its one error shape; the receiver in its plain text, as to every refusal.
    for (const res of answers.slice(0, -1)) {
      expect(res.json()).toEqual({
        statusCode: 400,
        error: "Bad Request",
        message: expect.stringMatching(/NUL/),
      });
    }
    expect(answers.at(-1)!.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(answers.at(-1)!.body).toBe("the body contains a NUL character");
    expect(await queued()).toBe(before);
  });
});

describe("rate limiting /v1", () => {
  it("answers 429 past the limit", async () => {
    const limited = await startPipeline({ v1RateLimitPerMinute: 5 });
    try {
      const codes = [];
      for (let i = 0; i < 7; i++) codes.push((await limited.app.inject({ url: "/v1/orders" })).statusCode);
      expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(codes.slice(5)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});
