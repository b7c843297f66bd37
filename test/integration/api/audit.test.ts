// GET /v1/audit: writes through /v1 are listed with their token, newest first, in cursor pages, filtered
// by action and target; the token is required.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p.close());

const get = (url: string, headers: Record<string, string> = p.authorized) => p.app.inject({ url, headers });

describe("GET /v1/audit", () => {
  it("lists /v1 writes with their actor, newest first, in pages", async () => {
    for (const no of ["AV-1", "AV-2", "AV-3"]) {
      const res = await p.app.inject({
        method: "POST",
        url: "/v1/orders/expected",
        headers: p.authorized,
        payload: { mchtOrderNos: [no], needDeclare: false },
      });
      expect(res.statusCode).toBe(202);
    }
    // A refused write is not recorded.
    const refused = await p.app.inject({
      method: "POST",
      url: "/v1/orders/expected",
      headers: p.authorized,
      payload: { mchtOrderNos: [" "] },
    });
    expect(refused.statusCode).toBe(400);

    const first = await get("/v1/audit?limit=2");
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.items).toEqual([
      {
        id: "3",
        at: expect.any(String),
        actor: { kind: "token", id: "admin", name: "ADMIN_TOKEN" },
        action: "order.expect",
        target: "AV-3",
        summary: { expected: 1, added: 1, needDeclare: false },
        prevHash: body.items[1].hash,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      expect.objectContaining({ id: "2", target: "AV-2" }),
    ]);
    expect(Date.parse(body.items[0].at)).toBeGreaterThanOrEqual(Date.parse(body.items[1].at));
    const second = (await get(`/v1/audit?limit=2&cursor=${body.nextCursor}`)).json();
    expect(second.items.map((e: { target: string }) => e.target)).toEqual(["AV-1"]);
    expect(second.items[0].prevHash).toBe("0".repeat(64));
    expect(second.nextCursor).toBeNull();
  });

  it("filters by action and target", async () => {
    expect((await get("/v1/audit?target=AV-2")).json().items.map((e: { id: string }) => e.id)).toEqual(["2"]);
    expect((await get("/v1/audit?action=order.expect")).json().items).toHaveLength(3);
    expect((await get("/v1/audit?action=notification.replay")).json()).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it("needs the admin token, and refuses a cursor or filter it did not make", async () => {
    expect((await get("/v1/audit", {})).statusCode).toBe(401);
    expect((await get("/v1/audit", { authorization: "Bearer wrong" })).statusCode).toBe(401);
    expect((await get("/v1/audit?cursor=bm9wZQ")).statusCode).toBe(400);
    expect((await get("/v1/audit?limit=0")).statusCode).toBe(400);
    expect((await get("/v1/audit?action=")).statusCode).toBe(400);
    expect((await get("/v1/audit?sort=asc")).statusCode).toBe(400);
  });
});
