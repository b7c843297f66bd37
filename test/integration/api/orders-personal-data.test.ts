// DELETE /v1/orders/:mchtOrderNo/personal-data over real HTTP handling and Postgres: 204 and the
// payer's data gone from the order and its notifications (state kept), 404 for an unknown order,
// 401 without a token, and one audit entry per erasure holding no personal data.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pipeline } from "../../support/pipeline.js";
import { startSeededPipeline } from "./support.js";

let p: Pipeline;
const PAYER = { payerName: "周Xx", payerNumber: "610327198509271234", payerPhone: "13800138000" };

beforeAll(async () => {
  p = await startSeededPipeline();
});
afterAll(async () => {
  await p?.close();
});

const erase = (no: string, headers: Record<string, string> = p.authorized) =>
  p.app.inject({ method: "DELETE", url: `/v1/orders/${encodeURIComponent(no)}/personal-data`, headers });

describe("DELETE /v1/orders/:mchtOrderNo/personal-data", () => {
  it("answers 204 and the order and its notifications show the payer erased, the state unchanged", async () => {
    const before = (await p.app.inject({ url: "/v1/orders/Q-1", headers: p.authorized })).json();
    expect(before).toMatchObject({ ...PAYER, personalDataErasedAt: null });

    const res = await erase("Q-1");
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");

    const after = (await p.app.inject({ url: "/v1/orders/Q-1", headers: p.authorized })).json();
    expect(after).toEqual({
      ...before,
      payerName: null,
      payerNumber: null,
      payerPhone: null,
      personalDataErasedAt: expect.any(String),
    });
    const list = await p.app.inject({ url: "/v1/notifications?mchtOrderNo=Q-1", headers: p.authorized });
    const bodies = list.json().items.map((n: { msgBody: string }) => JSON.parse(n.msgBody));
    expect(bodies).toHaveLength(2);
    for (const body of bodies)
      expect(body).toMatchObject({
        mchtOrderNo: "Q-1",
        payerName: null,
        payerNumber: null,
        payerPhone: null,
      });
    // Another order keeps its payer.
    const other = (await p.app.inject({ url: "/v1/orders/Q-2", headers: p.authorized })).json();
    expect(other).toMatchObject(PAYER);

    // Erasing again changes nothing and answers the same.
    expect((await erase("Q-1")).statusCode).toBe(204);
  });

  it("records each erasure in the audit log, naming the order and no personal data", async () => {
    await erase("Q-3");
    const res = await p.app.inject({ url: "/v1/audit?target=Q-3", headers: p.authorized });
    const [entry] = res.json().items;
    expect(entry).toMatchObject({ action: "order.erase-personal-data", target: "Q-3" });
    for (const value of Object.values(PAYER)) expect(JSON.stringify(entry)).not.toContain(value);
  });

  it("answers 404 for an unknown order and 401 without a token, and erases nothing", async () => {
    const unknown = await erase("NO-SUCH-ORDER");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toContain("no such order");
    const anonymous = await erase("Q-4", {});
    expect(anonymous.statusCode).toBe(401);
    const q4 = (await p.app.inject({ url: "/v1/orders/Q-4", headers: p.authorized })).json();
    expect(q4).toMatchObject({ ...PAYER, personalDataErasedAt: null });
  });
});
