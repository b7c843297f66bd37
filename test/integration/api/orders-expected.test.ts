// POST /v1/orders/expected: registered orders show with no status, idempotently; bad input changes nothing.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { applyNotification } from "../../../src/orders/apply.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { orderBody } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p.close());

const post = (payload: unknown) =>
  p.app.inject({
    method: "POST",
    url: "/v1/orders/expected",
    headers: p.authorized,
    payload: payload as object,
  });
const get = (no: string) =>
  p.app.inject({ url: `/v1/orders/${encodeURIComponent(no)}`, headers: p.authorized });

describe("POST /v1/orders/expected", () => {
  it("registers orders that then show with no status, idempotently", async () => {
    const res = await post({ mchtOrderNos: ["E-1", "E-2", "E-1"] });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ expected: 2, added: 2 });
    const shown = await get("E-1");
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      mchtOrderNo: "E-1",
      payStatus: null,
      declareStatus: null,
      paymentAmount: null,
      needDeclare: null,
      payzeroUnknownSince: null,
    });
    const first = shown.json().expectedAt as string;
    expect(Date.parse(first)).not.toBeNaN();

    // Again, with needDeclare: nothing new, the first registration time kept, needDeclare set.
    expect((await post({ mchtOrderNos: ["E-1", "E-2"], needDeclare: false })).json()).toEqual({
      expected: 2,
      added: 0,
    });
    expect((await get("E-1")).json()).toMatchObject({ expectedAt: first, needDeclare: false });
    // needDeclare left out leaves it as registered.
    await post({ mchtOrderNos: ["E-1"] });
    expect((await get("E-1")).json()).toMatchObject({ needDeclare: false });
  });

  it("keeps a known order's state, and the first notification keeps the registration", async () => {
    const apply = (no: string, payStatus: string, ts: number) =>
      applyNotification(
        p.db,
        {
          msgType: PAY_STATUS_NOTIFY,
          timestamp: BigInt(ts),
          msgBody: orderBody({ mchtOrderNo: no, payStatus }),
          receivedAt: new Date(),
          source: "payzero-notify",
        },
        noFanOut,
      );
    await apply("E-KNOWN", "PAY_SUCCEED", 1000);
    const before = (await get("E-KNOWN")).json();
    expect((await post({ mchtOrderNos: ["E-KNOWN"], needDeclare: true })).json()).toEqual({
      expected: 1,
      added: 0,
    });
    const after = (await get("E-KNOWN")).json();
    expect(after).toEqual({ ...before, expectedAt: after.expectedAt, needDeclare: true });
    expect(after.expectedAt).not.toBeNull();

    await post({ mchtOrderNos: ["E-LATER"], needDeclare: false });
    const registered = (await get("E-LATER")).json();
    await apply("E-LATER", "PAY_APPLIED", 2000);
    expect((await get("E-LATER")).json()).toMatchObject({
      payStatus: "PAY_APPLIED",
      expectedAt: registered.expectedAt,
      needDeclare: false,
      createdAt: registered.createdAt,
    });
  });

  it.each([
    ["no body field", {}],
    ["an empty list", { mchtOrderNos: [] }],
    ["a number", { mchtOrderNos: ["E-BAD-1", 42] }],
    ["a blank number", { mchtOrderNos: ["E-BAD-2", "  "] }],
    ["a NUL", { mchtOrderNos: ["E-BAD-3", "a\u0000b"] }],
    ["a lone surrogate", { mchtOrderNos: ["E-BAD-4", "a\ud800"] }],
    ["a 201-character number", { mchtOrderNos: ["E-BAD-5", "x".repeat(201)] }],
    ["1,001 numbers", { mchtOrderNos: Array.from({ length: 1001 }, (_, i) => `E-BAD-6-${i}`) }],
    ["needDeclare as text", { mchtOrderNos: ["E-BAD-7"], needDeclare: "false" }],
    ["an unknown field", { mchtOrderNos: ["E-BAD-8"], notify: true }],
  ])("answers 400 to %s and registers nothing", async (_name, body) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/body/);
    expect(await p.db.order.count({ where: { mchtOrderNo: { startsWith: "E-BAD" } } })).toBe(0);
  });

  it("takes 1,000 at once and needs the token", async () => {
    const nos = Array.from({ length: 1000 }, (_, i) => `E-MANY-${i}`);
    expect((await post({ mchtOrderNos: nos })).json()).toEqual({ expected: 1000, added: 1000 });
    const anonymous = await p.app.inject({
      method: "POST",
      url: "/v1/orders/expected",
      payload: { mchtOrderNos: ["E-ANON"] },
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await get("E-ANON")).statusCode).toBe(404);
  });
});

describe("the record of a registration", () => {
  it("is written once per accepted request, naming the token and what changed, and never for a refused one", async () => {
    const lines: Array<{ msg?: string; audit?: unknown }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = await buildApiApp({ config: p.config, db: p.db, logger: pino({ level: "info" }, sink) });
    try {
      const send = (payload: object) =>
        app.inject({ method: "POST", url: "/v1/orders/expected", headers: p.authorized, payload });
      expect((await send({ mchtOrderNos: ["E-AUD-1", "E-AUD-2"], needDeclare: false })).statusCode).toBe(202);
      expect((await send({ mchtOrderNos: ["E-AUD-1"] })).statusCode).toBe(202);
      expect((await send({ mchtOrderNos: ["E-AUD-3", " "] })).statusCode).toBe(400);
      const records = lines.filter((l) => l.msg === "admin write").map((l) => l.audit);
      expect(records).toEqual([
        {
          actor: "token ADMIN_TOKEN (admin)",
          action: "order.expect",
          target: "E-AUD-1 and 1 more",
          summary: { expected: 2, added: 2, needDeclare: false },
        },
        {
          actor: "token ADMIN_TOKEN (admin)",
          action: "order.expect",
          target: "E-AUD-1",
          summary: { expected: 1, added: 0, needDeclare: null },
        },
      ]);
    } finally {
      await app.close();
    }
  });
});
