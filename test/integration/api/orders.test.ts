// The /v1 query API: bearer auth, lookups, filters, cursor pages, parameter errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyNotification } from "../../../src/orders/apply.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import { orderBody } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
  for (let i = 0; i < 7; i++) {
    const mchtOrderNo = `Q-${i}`;
    const payStatus = i % 2 === 0 ? "PAY_SUCCEED" : "PAY_FAILED";
    for (const [msgType, ts] of [
      ["PAY_STATUS_NOTIFY", 1000 + i],
      ["DECLARE_STATUS_NOTIFY", 2000 + i],
    ] as const) {
      const msgBody = orderBody({
        mchtOrderNo,
        payStatus,
        declareStatus: "DECLARING",
        paymentAmount: 100 + i,
      });
      await applyNotification(
        p.db,
        { msgType, timestamp: BigInt(ts), msgBody, receivedAt: new Date(), source: "payzero-notify" },
        noFanOut,
      );
    }
  }
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

describe("GET /v1/notifications/:id", () => {
  it("answers one notification as the list shows it", async () => {
    const listed = (await get("/v1/notifications?mchtOrderNo=Q-5")).json().items as Array<{ id: string }>;
    const first = listed[0]!;
    const res = await get(`/v1/notifications/${first.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(first);
  });

  it("answers 404 to an id it does not hold, even past Postgres's bigint, and 400 to no id", async () => {
    for (const id of ["999999999", "9999999999999999999"]) {
      const res = await get(`/v1/notifications/${id}`);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ statusCode: 404, error: "Not Found", message: "no such notification" });
    }
    for (const id of ["abc", "0", "-1", "1.5"]) {
      const res = await get(`/v1/notifications/${id}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^params\/id/);
    }
  });
});

describe("GET /v1/notifications", () => {
  it("lists an order's history newest first, with whether each changed the order", async () => {
    const res = await get("/v1/notifications?mchtOrderNo=Q-3");
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items.map((n) => [n.msgType, n.timestamp, n.changedOrder])).toEqual([
      ["DECLARE_STATUS_NOTIFY", 2003, true],
      ["PAY_STATUS_NOTIFY", 1003, true],
    ]);
    expect(items[0]).toMatchObject({ source: "payzero-notify", problem: null, mchtOrderNo: "Q-3" });
    expect(typeof items[0]!.id).toBe("string");
    expect(typeof items[0]!.receivedAt).toBe("string");
  });

  it("pages by cursor and filters by msgType", async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(
        `/v1/notifications?msgType=PAY_STATUS_NOTIFY&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      const body = res.json() as { items: Array<{ id: string; msgType: string }>; nextCursor: string | null };
      for (const n of body.items) expect(n.msgType).toBe("PAY_STATUS_NOTIFY");
      ids.push(...body.items.map((n) => n.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
  });

  it("answers 400 to a cursor it did not make", async () => {
    const res = await get("/v1/notifications?cursor=bm90LWFuLWlk");
    expect(res.statusCode).toBe(400);
    expect((await get("/v1/notifications?limit=500")).statusCode).toBe(400);
  });

  it("answers 400 to an id cursor past Postgres's bigint, and pages from the largest one", async () => {
    const past = Buffer.from("9999999999999999999").toString("base64url");
    const res = await get(`/v1/notifications?cursor=${past}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ message: "querystring/cursor is not valid" });
    const largest = Buffer.from("9223372036854775807").toString("base64url");
    expect((await get(`/v1/notifications?cursor=${largest}`)).statusCode).toBe(200);
  });
});
