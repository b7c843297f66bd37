import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationsReceived } from "../../../src/ops/metrics.js";
import { signedKey } from "../../../src/payzero/envelope.js";
import { type IngestHarness, queuedMessage, queuedMessages, startIngest } from "../../support/ingest.js";
import { orderBody, signedEnvelope, signVectors } from "../../support/payzero.js";

let h: IngestHarness;
beforeAll(async () => {
  h = await startIngest();
});
afterAll(async () => {
  await h.close();
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return h.app.inject({
    method: "POST",
    url: "/payzero/notify",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** Messages in the queue's jobs, whatever their state. */
async function messageCount(): Promise<number> {
  return (await queuedMessages(h.queue)).length;
}

describe("POST /payzero/notify", () => {
  it.each(signVectors)("accepts Payzero's own signed vector and queues it: $name", async (v) => {
    const res = await post({ timestamp: v.timestamp, msgType: v.msgType, msgBody: v.msgBody, sign: v.sign });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("OK");
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    const message = await queuedMessage(h.queue, signedKey(v.sign));
    expect(message).toMatchObject({
      msgType: v.msgType,
      msgBody: v.msgBody,
      timestamp: String(v.timestamp),
    });
  });

  it("accepts the sign in upper case", async () => {
    const v = signVectors[1]!;
    const res = await post({ ...v, sign: v.sign.toUpperCase() });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("OK");
  });

  it("answers OK to each copy of a message sent again, once that copy is queued", async () => {
    // Copies queued apart collapse in Postgres (test/integration/orders/pipeline.test.ts, and
    // test/integration/webhooks/forwarding.test.ts for their deliveries), not here: each is in a job.
    const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "DUP-1" }));
    const copies = async () => (await queuedMessages(h.queue)).filter((m) => m.msgBody === env.msgBody);
    expect((await post(env)).body).toBe("OK");
    expect(await copies()).toHaveLength(1);
    expect((await post(env)).body).toBe("OK");
    expect(await copies()).toHaveLength(2);
    // A resend with a new timestamp (a new sign, the same body) is queued as it came: Postgres finds its body.
    const resend = signedEnvelope(env.msgType, env.msgBody, Number(env.timestamp) + 60_000);
    expect((await post(resend)).body).toBe("OK");
    expect((await copies()).map((m) => m.timestamp).sort()).toEqual(
      [env.timestamp, env.timestamp, resend.timestamp].map(String).sort(),
    );
  });

  it("queues the requests that arrive together as one job, in the order they came", async () => {
    const envs = Array.from({ length: 10 }, (_, i) =>
      signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: `ONE-JOB-${i}` })),
    );
    const answers = await Promise.all(envs.map((e) => post(e)));
    expect(answers.map((r) => r.body)).toEqual(envs.map(() => "OK"));
    const queued = (await queuedMessages(h.queue)).filter((m) => m.msgBody.includes("ONE-JOB-"));
    expect(queued.map((m) => m.msgBody)).toEqual(envs.map((e) => e.msgBody));
    expect(new Set(queued.map((m) => m.jobId)).size).toBe(1);
  });

  it("counts a message sent several times at once as one accepted and the rest duplicates", async () => {
    const outcomes = async () => {
      const values = (await notificationsReceived.get()).values;
      const of = (outcome: string) =>
        values.find((v) => v.labels.outcome === outcome && v.labels.msg_type === "DECLARE_STATUS_NOTIFY")
          ?.value ?? 0;
      return { accepted: of("accepted"), duplicate: of("duplicate") };
    };
    const before = await outcomes();
    const env = signedEnvelope("DECLARE_STATUS_NOTIFY", orderBody({ mchtOrderNo: "DUP-AT-ONCE" }));
    // Three copies in one batch, and two more past the batch's 64 items (another batch in flight).
    const others = Array.from({ length: 70 }, (_, i) =>
      signedEnvelope("DECLARE_STATUS_NOTIFY", orderBody({ mchtOrderNo: `DUP-AT-ONCE-${i}` })),
    );
    const all = [env, env, env, ...others, env, env];
    const answers = await Promise.all(all.map((e) => post(e)));
    expect(answers.map((r) => r.body)).toEqual(all.map(() => "OK"));
    const after = await outcomes();
    expect(after.accepted - before.accepted).toBe(71);
    expect(after.duplicate - before.duplicate).toBe(4);
  });

  it("queues a body sent at once with another timestamp: Postgres tells a resend from a new state", async () => {
    const env = signedEnvelope("DECLARE_STATUS_NOTIFY", orderBody({ mchtOrderNo: "AT-ONCE-TS" }), 1000);
    const later = signedEnvelope(env.msgType, env.msgBody, 2000);
    const answers = await Promise.all([env, later].map((e) => post(e)));
    expect(answers.map((r) => r.body)).toEqual(["OK", "OK"]);
    const queued = (await queuedMessages(h.queue)).filter((m) => m.msgBody === env.msgBody);
    expect(queued.map((m) => m.timestamp).sort()).toEqual(["1000", "2000"]);
  });

  it("accepts an unknown msgType with a valid sign", async () => {
    const env = signedEnvelope("REFUND_STATUS_NOTIFY", '{"whatever":1}');
    expect((await post(env)).statusCode).toBe(200);
    expect(await queuedMessage(h.queue, signedKey(env.sign))).toBeDefined();
  });

  it("refuses changed sign, msgBody, timestamp or msgType-less tokens with 401 and queues nothing", async () => {
    const before = await messageCount();
    for (const v of signVectors) {
      const good = { timestamp: v.timestamp, msgType: v.msgType, msgBody: v.msgBody, sign: v.sign };
      const flipped = (v.sign[0] === "0" ? "1" : "0") + v.sign.slice(1);
      for (const bad of [
        { ...good, sign: flipped },
        { ...good, msgBody: `${v.msgBody} ` },
        { ...good, timestamp: Number(v.timestamp) + 1 },
        signedEnvelope(v.msgType, v.msgBody, v.timestamp, "a-token-not-configured"),
      ]) {
        const res = await post(bad);
        expect(res.statusCode).toBe(401);
        expect(res.body).toBe("bad sign");
      }
    }
    expect(await messageCount()).toBe(before);
  });

  const valid = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "BAD-INPUT" }), 1555816968018);
  const badBodies: Array<[string, string, number]> = [
    ["not JSON", "this is not json", 400],
    ["truncated JSON", JSON.stringify(valid).slice(0, 30), 400],
    ["an array", "[]", 400],
    ["null", "null", 400],
    ["a string", '"OK"', 400],
    ["a number", "42", 400],
    ["an empty object", "{}", 400],
    ["missing sign", JSON.stringify({ ...valid, sign: undefined }), 400],
    ["missing msgBody", JSON.stringify({ ...valid, msgBody: undefined }), 400],
    ["missing msgType", JSON.stringify({ ...valid, msgType: undefined }), 400],
    ["missing timestamp", JSON.stringify({ ...valid, timestamp: undefined }), 400],
    ["msgBody as an object", JSON.stringify({ ...valid, msgBody: JSON.parse(valid.msgBody) }), 400],
    ["msgBody as a number", JSON.stringify({ ...valid, msgBody: 1 }), 400],
    ["msgType as a number", JSON.stringify({ ...valid, msgType: 7 }), 400],
    ["timestamp with letters", JSON.stringify({ ...valid, timestamp: "155581696801x" }), 400],
    ["negative timestamp", JSON.stringify({ ...valid, timestamp: -1 }), 400],
    ["fractional timestamp", JSON.stringify({ ...valid, timestamp: 1.5 }), 400],
    ["timestamp as a boolean", JSON.stringify({ ...valid, timestamp: true }), 400],
    ["sign too short", JSON.stringify({ ...valid, sign: "abc" }), 400],
    ["sign not hex", JSON.stringify({ ...valid, sign: "z".repeat(40) }), 400],
    ["sign as an array", JSON.stringify({ ...valid, sign: [valid.sign] }), 400],
    ["__proto__ key", `{"__proto__":{"polluted":1},${JSON.stringify(valid).slice(1)}`, 400],
    ["constructor.prototype", `{"constructor":{"prototype":{"x":1}},${JSON.stringify(valid).slice(1)}`, 400],
    ["deep nesting instead of an envelope", nested(30_000), 400],
    [
      "deep nesting as msgBody",
      JSON.stringify({ ...valid, msgBody: 0 }).replace('"msgBody":0', `"msgBody":${nested(30_000)}`),
      400,
    ],
  ];

  it("takes a signed message with a deeply nested extra field, and queues it without that field", async () => {
    const env = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "DEEP-EXTRA" }));
    const before = await messageCount();
    const res = await post(`{"x":${"[".repeat(30_000)}${"]".repeat(30_000)},${JSON.stringify(env).slice(1)}`);
    expect(res.body).toBe("OK");
    expect(await messageCount()).toBe(before + 1);
    const [job] = await h.queue.getJobs(["waiting", "delayed", "active", "completed"], 0, 0, false);
    expect(Object.keys(job?.data ?? {})).toEqual(["messages"]);
    expect(job?.data.messages).toHaveLength(1);
    expect(Object.keys(job?.data.messages[0] ?? {}).sort()).toEqual([
      "msgBody",
      "msgType",
      "receivedAt",
      "sign",
      "signedOver",
      "timestamp",
    ]);
  });

  it("refuses a signed timestamp past Postgres bigint with 400: the worker could never store it", async () => {
    const before = await messageCount();
    const body = orderBody({ mchtOrderNo: "BIG-TS" });
    const res = await post(signedEnvelope("PAY_STATUS_NOTIFY", body, "9999999999999999999"));
    expect(res.statusCode).toBe(400);
    expect(await messageCount()).toBe(before);
  });

  it.each(badBodies)("answers %s with a 4xx and queues nothing", async (_name, body, status) => {
    const before = await messageCount();
    const res = await post(body);
    expect(res.statusCode).toBe(status);
    expect(res.body).not.toBe("OK");
    expect(res.body.length).toBeGreaterThan(0);
    expect(await messageCount()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers a 1 MiB body with 413 before reading it, even signed: 64 KiB at most by default", async () => {
    expect(h.config.notifyBodyLimitBytes).toBe(64 * 1024);
    const before = await messageCount();
    for (const size of [1024 * 1024, 100 * 1024]) {
      const big = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "X".repeat(size - 300) }));
      const res = await post(big);
      expect(res.statusCode).toBe(413);
    }
    expect(await messageCount()).toBe(before);
    // Just under the limit, a signed message is taken.
    const fits = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: "Y".repeat(60 * 1024) }));
    expect((await post(fits)).statusCode).toBe(200);
  });

  it("still accepts a valid notification after all that", async () => {
    const env = signedEnvelope("DECLARE_STATUS_NOTIFY", orderBody({ mchtOrderNo: "AFTER-BAD" }));
    const res = await post(env, { "content-type": "application/json;charset=UTF-8" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("OK");
  });
});

/** The JSON text of an array nested `depth` levels deep (too deep for JSON.stringify to write; 30 000 fits the 64 KiB limit). */
function nested(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}
