// The /v1 order queries, and what every /v1 route shares: bearer auth, unknown routes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import type { Pipeline } from "../../support/pipeline.js";
import { startSeededPipeline } from "./support.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startSeededPipeline();
});
afterAll(() => p.close());

const get = (url: string, headers: Record<string, string> = p.authorized) => p.app.inject({ url, headers });

describe("/v1 auth", () => {
  it.each([
    ["no header", {}],
    ["a wrong token", { authorization: "Bearer wrong" }],
    ["a token with a suffix", { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` }],
    ["the token without Bearer", { authorization: TEST_ADMIN_TOKEN }],
    ["basic auth", { authorization: "Basic dXNlcjpwYXNz" }],
    ["an empty bearer", { authorization: "Bearer " }],
  ])("answers 401 to %s", async (_name, headers) => {
    for (const url of ["/v1/orders/Q-1", "/v1/orders", "/v1/notifications", "/v1/nowhere"]) {
      const res = await get(url, headers as Record<string, string>);
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
  });
});

describe("/v1 unknown routes", () => {
  it("answers 404 with the token", async () => {
    expect((await get("/v1/nowhere")).statusCode).toBe(404);
  });
});

describe("GET /v1/orders/:mchtOrderNo", () => {
  it("returns the order with amounts and timestamps as JSON numbers", async () => {
    const res = await get("/v1/orders/Q-2");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      mchtOrderNo: "Q-2",
      payStatus: "PAY_SUCCEED",
      payStatusAt: 1002,
      declareStatus: "DECLARING",
      declareStatusAt: 2002,
      paymentAmount: 102,
      payerName: "周Xx",
      paymentDatetime: "20190411213822",
    });
    expect(typeof res.json().updatedAt).toBe("string");
  });

  it("answers 404 for an unknown order", async () => {
    expect((await get("/v1/orders/NOPE")).statusCode).toBe(404);
  });
});

describe("GET /v1/orders", () => {
  it("pages through every order once, filtered by status", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/orders?payStatus=PAY_SUCCEED&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: Array<{ mchtOrderNo: string; payStatus: string }>;
        nextCursor: string | null;
      };
      expect(body.items.length).toBeLessThanOrEqual(2);
      for (const o of body.items) expect(o.payStatus).toBe("PAY_SUCCEED");
      seen.push(...body.items.map((o) => o.mchtOrderNo));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["Q-0", "Q-2", "Q-4", "Q-6"]);
  });

  it("filters by declareStatus and defaults the limit", async () => {
    const res = await get("/v1/orders?declareStatus=DECLARING");
    expect(res.json().items).toHaveLength(7);
    expect(res.json().nextCursor).toBeNull();
    expect((await get("/v1/orders?declareStatus=DECLARED")).json()).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    "limit=0",
    "limit=101",
    "limit=abc",
    "limit=1.5",
    "payStatus=",
    "payStatus=lower_case",
    "unknown=1",
    `cursor=${"x".repeat(300)}`,
    // Decodes to a NUL, which Postgres text cannot hold: it failed the query (500).
    "cursor=AA",
  ])("answers 400 to ?%s", async (query) => {
    const res = await get(`/v1/orders?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/querystring/);
  });
});
