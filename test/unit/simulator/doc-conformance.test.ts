// The simulator against Payzero's own document (payzero-quickpay-api.md): what it sends and answers must
// be something Payzero sends and answers, since the tests and the README demo rely on it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { generateBatch, sampleOrder } from "../../../src/simulator/batch.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";

describe("notifications carry final results only", () => {
  // 2.2: "订单批次中的每一笔订单在支付最终成功或失败后，会发送支付状态通知 … 后续每一笔订单最终申报完成或失败
  // 也将发送申报状态通知" (a pay notification once payment finally succeeded or failed, a declare
  // notification once the declaration finally succeeded or failed); 2.6 and 4.1 likewise
  // "支付结果（成功/失败）将以异步通知的形式返回".
  it("`simulate send` without status flags sends a final pay result", () => {
    const order = sampleOrder("S-1", {}, PAY_STATUS_NOTIFY);
    expect(["PAY_SUCCEED", "PAY_FAILED"]).toContain(order.payStatus);
  });

  it("`simulate send --type DECLARE_STATUS_NOTIFY` sends a final declaration of a paid order", () => {
    const order = sampleOrder("S-2", {}, DECLARE_STATUS_NOTIFY);
    expect(order.payStatus).toBe("PAY_SUCCEED");
    expect(["DECLARED", "DECLARE_FAILED"]).toContain(order.declareStatus);
  });

  it("flags still set any status", () => {
    expect(sampleOrder("S-3", { payStatus: "PAY_APPLIED" }, PAY_STATUS_NOTIFY).payStatus).toBe("PAY_APPLIED");
  });
});

describe("paymentDatetime", () => {
  // 2.4 writes it as a string ("paymentDatetime": "20190411213822"); 2.5, whose rows are the same
  // orderResultDto, as a JSON number ("paymentDatetime": 20190313124233). 3.4: a notification's msgBody
  // is that orderResultDto. The simulator sends both, so the pipeline is run with both.
  it("comes in both of the doc's forms in a batch, each yyyyMMddHHmmss", () => {
    const batch = generateBatch({
      orders: 10,
      failRate: 0,
      seed: 1,
      paidAt: new Date("2019-04-11T13:38:22Z"),
    });
    const times = batch.messages.map(
      (m) => (JSON.parse(m.msgBody) as { paymentDatetime: unknown }).paymentDatetime,
    );
    expect(new Set(times.map((t) => typeof t))).toEqual(new Set(["string", "number"]));
    for (const t of times) expect(String(t)).toBe("20190411213822");
    for (const m of batch.messages) expect(parseOrderResult(m.msgBody)).toMatchObject({ ok: true });
  });
});

describe("fake API", () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi({ appId: "a", appKey: "k" });
  });
  afterAll(async () => {
    await api.close();
  });

  // 技术综述, 返回格式说明: "401 UNAUTHORIZED, access_token不正确"; "403 FORBIDDEN, 权限不足，出现此错误时，
  // 请再看一遍技术综述,检查是否已按要求将Authorization相关的key-value加入HTTP请求头部中" (403: check that the
  // Authorization header was added).
  it("answers 403 to a query without an Authorization header, 401 to a wrong token", async () => {
    const missing = await fetch(`${api.url}/order/queryOrder?mchtOrderNo=X`);
    expect(missing.status).toBe(403);
    const wrong = await fetch(`${api.url}/order/queryOrder?mchtOrderNo=X`, {
      headers: { authorization: "Bearer not.a.token" },
    });
    expect(wrong.status).toBe(401);
  });
});
