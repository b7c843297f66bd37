// PayzeroClient against the simulator's fake Payzero API on 127.0.0.1.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  PayzeroApiError,
  PayzeroAuthError,
  PayzeroClient,
  type PayzeroClientOptions,
  PayzeroHttpError,
} from "../../../src/payzero/query-api.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";

const APP = { appId: "app-1", appKey: "key-1" };
let clock = Date.UTC(2026, 0, 1);
let api: FakeApi;

beforeAll(async () => {
  api = await startFakeApi({ ...APP, now: () => clock });
  api.setOrders([
    { mchtOrderNo: "A-1", payStatus: "PAY_SUCCEED", declareStatus: "DECLARED", paymentAmount: 100 },
    { mchtOrderNo: "A 2/&?", payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" },
  ]);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  Object.assign(api.state, { refuseAllTokens: false, failQueries: 0, failStatus: 500 });
});

function client(overrides: Partial<PayzeroClientOptions> = {}): PayzeroClient {
  return new PayzeroClient({
    baseUrl: api.url,
    ...APP,
    now: () => clock,
    sleep: async () => {},
    ...overrides,
  });
}

/** Logins and queries the fake API saw while `fn` ran. */
async function counting(fn: () => Promise<unknown>): Promise<{ logins: number; queries: number }> {
  const before = { logins: api.state.logins, queries: api.state.queries.length };
  await fn();
  return { logins: api.state.logins - before.logins, queries: api.state.queries.length - before.queries };
}

describe("PayzeroClient", () => {
  it("answers the orderResultDto as Payzero returned it, and read", async () => {
    const answer = await client().queryOrder("A-1");
    expect(JSON.parse(answer.msgBody)).toEqual({
      mchtOrderNo: "A-1",
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARED",
      paymentAmount: 100,
    });
    expect(answer.dto).toMatchObject({ mchtOrderNo: "A-1", payStatus: "PAY_SUCCEED", paymentAmount: 100n });
    expect((await client().queryOrder("A 2/&?")).dto.payStatus).toBe("PAY_APPLIED");
  });

  it("asks /order/feedback about an order /order/queryOrder does not know, and each path alone when so set", async () => {
    api.setBatchOrders([{ mchtOrderNo: "BATCH-1", payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" }]);
    const before = { query: api.state.queries.length, feedback: api.state.feedbackQueries.length };
    const both = await client().queryOrder("BATCH-1");
    expect([both.path, both.dto.declareStatus]).toEqual(["/order/feedback", "DECLARING"]);
    // A QR order is answered by the first path: /order/feedback is not asked.
    expect((await client().queryOrder("A-1")).path).toBe("/order/queryOrder");
    expect(api.state.queries.slice(before.query)).toEqual(["BATCH-1", "A-1"]);
    expect(api.state.feedbackQueries.slice(before.feedback)).toEqual(["BATCH-1"]);

    expect((await client({ queryPaths: ["/order/feedback"] }).queryOrder("BATCH-1")).path).toBe(
      "/order/feedback",
    );
    await expect(client({ queryPaths: ["/order/queryOrder"] }).queryOrder("BATCH-1")).rejects.toThrow(
      PayzeroApiError,
    );
    await expect(client({ queryPaths: ["/order/feedback"] }).queryOrder("A-1")).rejects.toThrow(
      PayzeroApiError,
    );
    // Unknown on both: the last path's error.
    await expect(client().queryOrder("NOWHERE")).rejects.toThrow(/\/order\/feedback: 30004/);
  });

  it("does not try the next path after a failure that is not a business error", async () => {
    const c = client({ retries: 0 });
    await c.queryOrder("A-1");
    const feedback = api.state.feedbackQueries.length;
    api.state.failQueries = 1;
    await expect(c.queryOrder("A-1")).rejects.toThrow(PayzeroHttpError);
    expect(api.state.feedbackQueries.length).toBe(feedback);
  });

  it("refuses an answer about another order or one that is not an order", async () => {
    api.state.orders.set("ALIAS", { mchtOrderNo: "A-1" });
    api.state.orders.set("BAD", { mchtOrderNo: "BAD", payStatus: { a: 1 } });
    await expect(client().queryOrder("ALIAS")).rejects.toThrow(/another order/);
    await expect(client().queryOrder("BAD")).rejects.toThrow(/not an orderResultDto/);
  });

  it("serves many queries, concurrent and sequential, with one login", async () => {
    const c = client();
    const seen = await counting(async () => {
      await Promise.all(Array.from({ length: 20 }, () => c.queryOrder("A-1")));
      for (let i = 0; i < 5; i++) await c.queryOrder("A-1");
    });
    expect(seen).toEqual({ logins: 1, queries: 25 });
  });

  it("logs in again 5 minutes before the token expires, not earlier", async () => {
    const c = client();
    await c.queryOrder("A-1");
    clock += 4 * 3600_000 - 6 * 60_000;
    expect(await counting(() => c.queryOrder("A-1"))).toEqual({ logins: 0, queries: 1 });
    clock += 2 * 60_000;
    expect(await counting(() => c.queryOrder("A-1"))).toEqual({ logins: 1, queries: 1 });
  });

  it("renews a refused token once and goes on", async () => {
    const c = client();
    await c.queryOrder("A-1");
    api.revokeIssuedTokens();
    const seen = await counting(() => c.queryOrder("A-1"));
    expect(seen).toEqual({ logins: 1, queries: 2 });
    expect(await counting(() => c.queryOrder("A-1"))).toEqual({ logins: 0, queries: 1 });
  });

  it.each([
    ["5 hours behind", -5 * 3600_000],
    ["4 hours ahead", 4 * 3600_000],
  ])("renews on the token's lifetime with a client clock %s of Payzero's", async (_name, offset) => {
    const c = client({ now: () => clock + offset });
    await c.queryOrder("A-1");
    clock += 4 * 3600_000 - 6 * 60_000;
    expect(await counting(() => c.queryOrder("A-1"))).toEqual({ logins: 0, queries: 1 });
    clock += 2 * 60_000;
    // Renewed before Payzero would refuse the token: no refused query.
    expect(await counting(() => c.queryOrder("A-1"))).toEqual({ logins: 1, queries: 1 });
  });

  it("fails after one renewal when every token is refused, never loops", async () => {
    const c = client();
    await c.queryOrder("A-1");
    api.state.refuseAllTokens = true;
    let error: unknown;
    const seen = await counting(() => c.queryOrder("A-1").catch((e: unknown) => (error = e)));
    expect(error).toBeInstanceOf(PayzeroAuthError);
    expect(seen).toEqual({ logins: 1, queries: 2 });
  });

  it("turns a refused login into a PayzeroAuthError and makes no query", async () => {
    const c = client({ appKey: "wrong" });
    let error: unknown;
    const seen = await counting(() => c.queryOrder("A-1").catch((e: unknown) => (error = e)));
    expect(error).toBeInstanceOf(PayzeroAuthError);
    expect(error).toMatchObject({ errorCode: "10001" });
    expect(seen).toEqual({ logins: 0, queries: 0 });
  });

  it("turns success:false into a PayzeroApiError", async () => {
    await expect(client().queryOrder("NO-SUCH")).rejects.toMatchObject({
      constructor: PayzeroApiError,
      errorCode: "30004",
    });
  });

  it("retries a 5xx and answers", async () => {
    const c = client();
    await c.queryOrder("A-1");
    api.state.failQueries = 2;
    expect(await counting(() => c.queryOrder("A-1"))).toEqual({ logins: 0, queries: 3 });
  });

  it("gives up on a 5xx after its retries", async () => {
    const c = client({ retries: 1 });
    await c.queryOrder("A-1");
    api.state.failQueries = 5;
    await expect(c.queryOrder("A-1")).rejects.toMatchObject({ constructor: PayzeroHttpError, status: 500 });
  });

  it("reports an unreachable API as a transient PayzeroHttpError", async () => {
    const closed = await startFakeApi(APP);
    await closed.close();
    const c = client({ baseUrl: closed.url, retries: 0 });
    await expect(c.queryOrder("A-1")).rejects.toMatchObject({
      constructor: PayzeroHttpError,
      status: null,
      transient: true,
    });
  });
});
