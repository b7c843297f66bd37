// GET /v1/notifications and /v1/notifications/:id: an order's history, one notification, filters, cursor pages, parameter errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pipeline } from "../../support/pipeline.js";
import { startSeededPipeline } from "./support.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startSeededPipeline();
});
afterAll(() => p.close());

const get = (url: string, headers: Record<string, string> = p.authorized) => p.app.inject({ url, headers });

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
