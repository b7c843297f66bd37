// reconcileOnce against real Postgres, the real apply step and webhook stage, and the simulator's fake
// Payzero API on 127.0.0.1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyNotification } from "../../../src/orders/apply.js";
import { expectOrders } from "../../../src/orders/expected.js";
import type { FanOut } from "../../../src/orders/notification.js";
import { openBody } from "../../../src/orders/personal-data.js";
import { DECLARE_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { PayzeroClient, type PayzeroClientOptions } from "../../../src/payzero/query-api.js";
import type { Cursor } from "../../../src/reconcile/policy.js";
import type { CursorStore } from "../../../src/reconcile/reconcile.js";
import { reconcileOnce } from "../../../src/reconcile/reconcile.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import { createEndpoint, createHarness, type Harness, waitFor } from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { APP, log, payzeroOrder, seedOrder, settings } from "./support.js";

let h: Harness;
let api: FakeApi;
let receiver: Receiver;
let fanOut: FanOut;

beforeAll(async () => {
  h = await createHarness();
  api = await startFakeApi(APP);
  receiver = await startReceiver();
  fanOut = h.start().fanOut;
});
afterAll(async () => {
  await h?.close();
  await api?.close();
  await receiver?.close();
});
beforeEach(async () => {
  await h.db.webhookEndpoint.deleteMany();
  await h.db.notification.deleteMany();
  await h.db.order.deleteMany();
  await h.db.orderRetry.deleteMany();
  api.state.orders.clear();
  api.state.batchOrders.clear();
  Object.assign(api.state, {
    refuseAllTokens: false,
    failQueries: 0,
    failStatus: 500,
    unknownOrder: "error",
  });
});

function client(queryPaths?: PayzeroClientOptions["queryPaths"]): PayzeroClient {
  return new PayzeroClient({ baseUrl: api.url, ...APP, retries: 1, sleep: async () => {}, queryPaths });
}

function run(
  c = client(),
  more: {
    cursor?: CursorStore;
    abandonedCursor?: CursorStore;
    batchSize?: number;
    intervalSeconds?: number;
    awaitDeclaration?: boolean;
    now?: () => Date;
  } = {},
) {
  const { cursor, abandonedCursor, now, ...overrides } = more;
  return reconcileOnce({
    db: h.db,
    client: c,
    fanOut,
    log,
    settings: { ...settings, ...overrides },
    cursor,
    abandonedCursor,
    now,
  });
}

/** Queries the fake API receives while `fn` runs, in order. */
async function queriesDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const from = api.state.queries.length;
  await fn();
  return api.state.queries.slice(from);
}

function memoryCursor(): CursorStore {
  let saved: Cursor | null = null;
  return {
    load: async () => saved,
    save: async (c) => {
      saved = c;
    },
  };
}

const statuses = (no: string) =>
  h.db.order.findUniqueOrThrow({
    where: { mchtOrderNo: no },
    select: { payStatus: true, declareStatus: true },
  });

describe("reconcileOnce", () => {
  it("brings stale orders up to date and forwards each change with source payzero-query", async () => {
    await createEndpoint(h.db, { url: receiver.url("/hook") });
    await seedOrder(h.db, "UP-1", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    await seedOrder(h.db, "UP-2", { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    api.setOrders([
      payzeroOrder("UP-1", "PAY_SUCCEED", "DECLARED"),
      payzeroOrder("UP-2", "PAY_SUCCEED", "DECLARE_FAILED"),
    ]);

    expect(await run()).toEqual({ queried: 2, changed: 2, failed: 0 });

    expect(await statuses("UP-1")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
    expect(await statuses("UP-2")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARE_FAILED" });
    const stored = await h.db.notification.findMany({
      where: { source: "payzero-query" },
      orderBy: { id: "asc" },
      select: { mchtOrderNo: true, msgType: true, msgBody: true, contentKey: true },
    });
    expect(stored.map((n) => [n.mchtOrderNo, n.msgType]).sort()).toEqual([
      ["UP-1", "DECLARE_STATUS_NOTIFY"],
      ["UP-1", "PAY_STATUS_NOTIFY"],
      ["UP-2", "DECLARE_STATUS_NOTIFY"],
    ]);
    const up1 = stored.find((n) => n.mchtOrderNo === "UP-1")!;
    expect(JSON.parse(openBody(up1.contentKey, up1.msgBody!))).toEqual(api.state.orders.get("UP-1"));

    const posts = await waitFor("three webhook POSTs", async () =>
      receiver.received.length >= 3 ? receiver.received.map((r) => JSON.parse(r.body)) : undefined,
    );
    expect(posts.map((p) => [p.data.mchtOrderNo, p.type, p.source]).sort()).toEqual([
      ["UP-1", "DECLARE_STATUS_NOTIFY", "payzero-query"],
      ["UP-1", "PAY_STATUS_NOTIFY", "payzero-query"],
      ["UP-2", "DECLARE_STATUS_NOTIFY", "payzero-query"],
    ]);
  });

  it("never asks about finished, recently changed or too old orders", async () => {
    await seedOrder(h.db, "DONE", { payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
    await seedOrder(h.db, "FRESH", {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
      unchangedFor: 60,
    });
    await seedOrder(h.db, "OLD", {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
      age: 8 * 86_400,
    });
    await seedOrder(h.db, "STALE", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    await seedOrder(h.db, "FAILED-DECL", { payStatus: "PAY_SUCCEED", declareStatus: "DECLARE_FAILED" });
    api.setOrders(
      ["DONE", "FRESH", "OLD", "STALE", "FAILED-DECL"].map((no) =>
        payzeroOrder(no, "PAY_SUCCEED", "DECLARED"),
      ),
    );

    const asked = await queriesDuring(() => run());
    expect(asked.sort()).toEqual(["FAILED-DECL", "STALE"]);
    expect(await statuses("FRESH")).toEqual({ payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
  });

  it("leaves paid orders alone whatever their declare status when Payzero does not declare them", async () => {
    await seedOrder(h.db, "PAID-UNDECLARED", { payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
    await seedOrder(h.db, "PAID-DECL-FAILED", { payStatus: "PAY_SUCCEED", declareStatus: "DECLARE_FAILED" });
    await seedOrder(h.db, "UNPAID", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    await seedOrder(h.db, "PAY-FAILED", { payStatus: "PAY_FAILED", declareStatus: "NOT_DECLARED" });
    api.setOrders(
      ["PAID-UNDECLARED", "PAID-DECL-FAILED", "UNPAID", "PAY-FAILED"].map((no) =>
        payzeroOrder(no, "PAY_SUCCEED", "NOT_DECLARED"),
      ),
    );

    const asked = await queriesDuring(() => run(client(), { awaitDeclaration: false }));
    expect(asked.sort()).toEqual(["PAY-FAILED", "UNPAID"]);
    // With declarations awaited (the default), the paid ones are asked about too.
    const awaited = await queriesDuring(() => run());
    expect(awaited.sort()).toEqual(["PAID-DECL-FAILED", "PAID-UNDECLARED"]);
  });

  it("finds orders registered as expected whose every notification was lost, and gives up on unknown ones", async () => {
    await createEndpoint(h.db, { url: receiver.url("/hook") });
    const hourAgo = new Date(Date.now() - 3_600_000);
    expect(await expectOrders(h.db, ["EXP-QR", "EXP-BATCH", "EXP-NONE"], null, hourAgo)).toEqual({
      expected: 3,
      added: 3,
    });
    api.setOrders([payzeroOrder("EXP-QR", "PAY_SUCCEED", "DECLARED")]);
    api.setBatchOrders([payzeroOrder("EXP-BATCH", "PAY_SUCCEED", "DECLARING")]);

    expect(await run()).toEqual({ queried: 3, changed: 2, failed: 1 });
    expect(await statuses("EXP-QR")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
    expect(await statuses("EXP-BATCH")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    const posts = await waitFor("four webhook POSTs", async () => {
      const ours = receiver.received
        .map((r) => JSON.parse(r.body))
        .filter((p) => p.data.mchtOrderNo.startsWith("EXP-"));
      return ours.length >= 4 ? ours : undefined;
    });
    expect(posts.map((p) => [p.data.mchtOrderNo, p.type, p.source, p.order.expectedAt]).sort()).toEqual([
      ["EXP-BATCH", "DECLARE_STATUS_NOTIFY", "payzero-query", hourAgo.toISOString()],
      ["EXP-BATCH", "PAY_STATUS_NOTIFY", "payzero-query", hourAgo.toISOString()],
      ["EXP-QR", "DECLARE_STATUS_NOTIFY", "payzero-query", hourAgo.toISOString()],
      ["EXP-QR", "PAY_STATUS_NOTIFY", "payzero-query", hourAgo.toISOString()],
    ]);

    // Payzero does not know EXP-NONE: asked again while that lasts less than unknownOrderSeconds …
    const unknown = await h.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "EXP-NONE" } });
    expect(unknown).toMatchObject({ payStatus: null, declareStatus: null });
    expect(unknown.payzeroUnknownSince).not.toBeNull();
    expect(await queriesDuring(() => run())).toEqual(["EXP-NONE"]);
    const inTwoDays = () => new Date(Date.now() + 2 * 86_400_000);
    // … then no more (EXP-BATCH, still declaring, is).
    expect(await queriesDuring(() => run(client(), { now: inTwoDays }))).toEqual(["EXP-BATCH"]);
    // An order Payzero knows after all is never given up while unfinished.
    api.setOrders([payzeroOrder("EXP-NONE", "PAY_APPLIED", "NOT_DECLARED")]);
    await h.db.order.update({ where: { mchtOrderNo: "EXP-NONE" }, data: { payzeroUnknownSince: null } });
    await run();
    expect(await queriesDuring(() => run(client(), { now: inTwoDays }))).toEqual(["EXP-BATCH", "EXP-NONE"]);
  });

  it("asks /order/feedback only when so configured, and nothing about an order no path knows", async () => {
    await seedOrder(h.db, "AUTO-1", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setBatchOrders([payzeroOrder("AUTO-1", "PAY_SUCCEED", "NOT_DECLARED")]);
    expect(await run(client(["/order/queryOrder"]))).toEqual({ queried: 1, changed: 0, failed: 1 });
    // An order with statuses is known, whatever a query path says: never marked unknown.
    expect(await h.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "AUTO-1" } })).toMatchObject({
      payStatus: "PAY_APPLIED",
      payzeroUnknownSince: null,
    });
    expect(await run(client(["/order/feedback"]))).toEqual({ queried: 1, changed: 1, failed: 0 });
    expect(await statuses("AUTO-1")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
  });

  it.each([
    ["success with data: null", "null" as const],
    ["a 404", 404],
  ])("asks /order/feedback when /order/queryOrder answers %s", async (_name, unknownOrder) => {
    api.state.unknownOrder = unknownOrder;
    await seedOrder(h.db, "AUTO-2", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setBatchOrders([payzeroOrder("AUTO-2", "PAY_SUCCEED", "NOT_DECLARED")]);
    const feedbackBefore = api.state.feedbackQueries.length;
    expect(await queriesDuring(() => run())).toEqual(["AUTO-2"]);
    expect(api.state.feedbackQueries.slice(feedbackBefore)).toEqual(["AUTO-2"]);
    expect(await statuses("AUTO-2")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
  });

  it("marks an order no path knows (no data) unknown, and clears the mark once Payzero knows it", async () => {
    api.state.unknownOrder = "null";
    await expectOrders(h.db, ["LATE-1"], null, new Date(Date.now() - 3_600_000));
    expect(await run()).toEqual({ queried: 1, changed: 0, failed: 1 });
    const marked = await h.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "LATE-1" } });
    expect(marked.payzeroUnknownSince).not.toBeNull();
    // Payzero knows it now, still without a status change to apply: the answer alone clears the mark.
    api.setOrders([{ mchtOrderNo: "LATE-1", payStatus: null, declareStatus: null }]);
    expect(await run()).toEqual({ queried: 1, changed: 0, failed: 0 });
    expect(await h.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "LATE-1" } })).toMatchObject({
      payzeroUnknownSince: null,
    });
  });

  it("takes PAY_CANCELLED as final, and a paid order registered with needDeclare false as finished", async () => {
    await seedOrder(h.db, "CANCELLED", { payStatus: "PAY_CANCELLED", declareStatus: "NOT_DECLARED" });
    for (const no of ["PAID-NO-DECL", "PAID-DECL", "PAID-UNSAID"])
      await seedOrder(h.db, no, { payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
    await seedOrder(h.db, "UNPAID-NO-DECL", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    await expectOrders(h.db, ["PAID-NO-DECL", "UNPAID-NO-DECL"], false);
    await expectOrders(h.db, ["PAID-DECL"], true);
    api.setOrders(
      ["CANCELLED", "PAID-NO-DECL", "PAID-DECL", "PAID-UNSAID", "UNPAID-NO-DECL"].map((no) =>
        payzeroOrder(no, "PAY_SUCCEED", "NOT_DECLARED"),
      ),
    );
    expect((await queriesDuring(() => run())).sort()).toEqual(["PAID-DECL", "PAID-UNSAID", "UNPAID-NO-DECL"]);
  });

  it("stores nothing when Payzero agrees with the stored order", async () => {
    await seedOrder(h.db, "SAME", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders([payzeroOrder("SAME", "PAY_APPLIED", "NOT_DECLARED")]);
    const before = await h.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "SAME" } });
    expect(await run()).toEqual({ queried: 1, changed: 0, failed: 0 });
    expect(await h.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "SAME" } })).toEqual(before);
    expect(await h.db.notification.count({ where: { source: "payzero-query" } })).toBe(0);
  });

  it("serves many queries, over several runs, with one login", async () => {
    const nos = Array.from({ length: 12 }, (_, i) => `MANY-${i}`);
    for (const no of nos)
      await seedOrder(h.db, no, { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders(nos.map((no) => payzeroOrder(no, "PAY_APPLIED", "NOT_DECLARED")));
    const c = client();
    const logins = api.state.logins;
    const asked = await queriesDuring(async () => {
      await run(c);
      await run(c);
    });
    expect(asked).toHaveLength(24);
    expect(api.state.logins - logins).toBe(1);
  });

  it("renews a revoked token once and goes on; stops the run when the fresh token is refused too", async () => {
    const nos = ["AUTH-1", "AUTH-2", "AUTH-3"];
    for (const no of nos)
      await seedOrder(h.db, no, { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders(nos.map((no) => payzeroOrder(no, "PAY_APPLIED", "NOT_DECLARED")));
    const c = client();
    await run(c);

    api.revokeIssuedTokens();
    let logins = api.state.logins;
    expect(await queriesDuring(() => run(c))).toEqual(["AUTH-1", "AUTH-1", "AUTH-2", "AUTH-3"]);
    expect(api.state.logins - logins).toBe(1);

    api.setOrders(nos.map((no) => payzeroOrder(no, "PAY_SUCCEED", "DECLARED")));
    api.state.refuseAllTokens = true;
    logins = api.state.logins;
    let result: unknown;
    expect(await queriesDuring(async () => (result = await run(c)))).toEqual(["AUTH-1", "AUTH-1"]);
    expect(result).toEqual({ queried: 1, changed: 0, failed: 1 });
    expect(api.state.logins - logins).toBe(1);
    for (const no of nos)
      expect(await statuses(no)).toEqual({ payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
  });

  it("leaves the order unchanged when the query fails, and goes on with the others", async () => {
    await seedOrder(h.db, "ERR-1", {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
      unchangedFor: 7200,
    });
    await seedOrder(h.db, "ERR-2", {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
      unchangedFor: 3600,
    });
    await seedOrder(h.db, "ERR-3", {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
      unchangedFor: 1800,
    });
    // ERR-1 answers 500 twice (the client's one retry included); ERR-2 is unknown to Payzero.
    api.setOrders([
      payzeroOrder("ERR-1", "PAY_SUCCEED", "DECLARED"),
      payzeroOrder("ERR-3", "PAY_SUCCEED", "DECLARED"),
    ]);
    const c = client();
    await c.queryOrder("ERR-1"); // log in first, so the failures below hit the queries
    const before = await h.db.order.findMany({ where: { mchtOrderNo: { in: ["ERR-1", "ERR-2"] } } });
    api.state.failQueries = 2;

    expect(await run(c)).toEqual({ queried: 3, changed: 1, failed: 2 });

    expect(await h.db.order.findMany({ where: { mchtOrderNo: { in: ["ERR-1", "ERR-2"] } } })).toEqual(before);
    expect(await statuses("ERR-3")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
    expect(
      await h.db.notification.count({
        where: { source: "payzero-query", mchtOrderNo: { in: ["ERR-1", "ERR-2"] } },
      }),
    ).toBe(0);
  });

  it("walks past a batch Payzero keeps answering unchanged, then starts again at the oldest", async () => {
    const nos = ["W-A", "W-B", "W-C", "W-D", "W-E"];
    for (const [i, no] of nos.entries())
      await seedOrder(h.db, no, {
        payStatus: "PAY_APPLIED",
        declareStatus: "NOT_DECLARED",
        unchangedFor: 7200 - i,
      });
    api.setOrders(nos.map((no) => payzeroOrder(no, "PAY_APPLIED", "NOT_DECLARED")));
    const cursor = memoryCursor();
    const c = client();
    const runs: string[][] = [];
    for (let i = 0; i < 4; i++) runs.push(await queriesDuring(() => run(c, { cursor, batchSize: 2 })));
    expect(runs).toEqual([["W-A", "W-B"], ["W-C", "W-D"], ["W-E"], ["W-A", "W-B"]]);
  });

  it("starts no query after most of the interval has passed; the next run goes on from there", async () => {
    for (const no of ["T-1", "T-2", "T-3"])
      await seedOrder(h.db, no, { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    api.setOrders(["T-1", "T-2", "T-3"].map((no) => payzeroOrder(no, "PAY_APPLIED", "NOT_DECLARED")));
    const cursor = memoryCursor();
    // One query a second and a one-second interval: the second query would start after the 0.9 s budget.
    const result = await reconcileOnce({
      db: h.db,
      client: client(),
      fanOut,
      log,
      settings: { ...settings, intervalSeconds: 1, ratePerSecond: 1 },
      cursor,
    });
    expect(result.queried).toBe(1);
    expect(await cursor.load()).toMatchObject({ mchtOrderNo: "T-1" });
  });

  it("never lets an answer outweigh a notification that came while the query was in flight", async () => {
    await seedOrder(h.db, "RACE-1", { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    api.setOrders([payzeroOrder("RACE-1", "PAY_SUCCEED", "DECLARE_FAILED")]);
    const real = client();
    // Payzero answers DECLARE_FAILED; before the answer is applied the merchant has declared again,
    // and that notification (stamped after the question was asked) is stored first.
    const c = {
      queryOrder: async (mchtOrderNo: string) => {
        const answer = await real.queryOrder(mchtOrderNo);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const msgBody = orderBody({
          mchtOrderNo,
          payStatus: "PAY_SUCCEED",
          declareStatus: "DECLARING",
          verDept: "2",
        });
        await applyNotification(
          h.db,
          {
            msgType: DECLARE_STATUS_NOTIFY,
            timestamp: BigInt(Date.now()),
            msgBody,
            receivedAt: new Date(),
            source: "payzero-notify",
          },
          fanOut,
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
        return answer;
      },
    };
    await reconcileOnce({ db: h.db, client: c, fanOut, log, settings });
    expect(await statuses("RACE-1")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
  });

  it("orders answers by Payzero's timestamps: a skewed local clock neither blocks a correction nor lets a stale answer win", async () => {
    const day = 86_400_000;
    // Known DECLARING from a notification an hour ago; Payzero now says DECLARE_FAILED.
    await seedOrder(h.db, "SKEW-BEHIND", {
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARING",
      unchangedFor: 3 * 86_400,
      age: 4 * 86_400,
    });
    await seedOrder(h.db, "SKEW-AHEAD", { payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    api.setOrders([
      payzeroOrder("SKEW-BEHIND", "PAY_SUCCEED", "DECLARE_FAILED"),
      payzeroOrder("SKEW-AHEAD", "PAY_SUCCEED", "DECLARE_FAILED"),
    ]);
    const runWithClock = (offsetMs: number) =>
      reconcileOnce({
        db: h.db,
        client: client(),
        fanOut,
        log,
        settings,
        now: () => new Date(Date.now() + offsetMs),
      });

    // A day slow: stamped by this clock, the answer would be older than what it corrects.
    await runWithClock(-day);
    expect(await statuses("SKEW-BEHIND")).toEqual({
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARE_FAILED",
    });
    const known = await h.db.notification.findFirstOrThrow({
      where: { mchtOrderNo: "SKEW-BEHIND", source: "payzero-notify" },
    });
    const answer = await h.db.notification.findFirstOrThrow({
      where: { mchtOrderNo: "SKEW-BEHIND", source: "payzero-query" },
    });
    expect(answer.timestamp).toBe(known.timestamp + 1n);

    // A day fast: stamped by this clock, the answer would outweigh the re-declaration that follows it.
    await runWithClock(day);
    expect(await statuses("SKEW-AHEAD")).toEqual({
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARE_FAILED",
    });
    await applyNotification(
      h.db,
      {
        msgType: DECLARE_STATUS_NOTIFY,
        timestamp: BigInt(Date.now()),
        msgBody: orderBody({
          mchtOrderNo: "SKEW-AHEAD",
          payStatus: "PAY_SUCCEED",
          declareStatus: "DECLARING",
          verDept: "2",
        }),
        receivedAt: new Date(),
        source: "payzero-notify",
      },
      fanOut,
    );
    expect(await statuses("SKEW-AHEAD")).toEqual({ payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
  });

  it("asks about announced retries first, and walks abandoned orders apart within their smaller share", async () => {
    const twoDays = 2 * 86_400;
    const failed = { payStatus: "PAY_FAILED", declareStatus: "NOT_DECLARED", age: 3 * 86_400 };
    for (const [i, no] of ["AB-1", "AB-2", "AB-3"].entries())
      await seedOrder(h.db, no, { ...failed, unchangedFor: twoDays - i * 60 });
    // Failed even longer ago, but the merchant had Payzero pay it again (section 2.7): it comes first.
    await seedOrder(h.db, "AB-RETRY", { ...failed, unchangedFor: twoDays + 600 });
    await h.db.orderRetry.create({ data: { mchtOrderNo: "AB-RETRY", kind: "pay" } });
    await seedOrder(h.db, "AB-REGULAR", { payStatus: "PAY_APPLIED", declareStatus: "NOT_DECLARED" });
    const cursor = memoryCursor();
    const abandonedCursor = memoryCursor();
    const again = () => queriesDuring(() => run(client(), { batchSize: 3, cursor, abandonedCursor }));
    expect(await again()).toEqual(["AB-RETRY", "AB-REGULAR", "AB-1"]);
    // The regular walk reached its end (it starts again next run); the abandoned one goes on.
    expect(await again()).toEqual(["AB-RETRY", "AB-2"]);
    expect(await again()).toEqual(["AB-RETRY", "AB-REGULAR", "AB-3"]);
    // Without abandoned orders left to ask about, their share goes to the others.
    await h.db.order.deleteMany({
      where: { mchtOrderNo: { startsWith: "AB-" }, NOT: { mchtOrderNo: "AB-REGULAR" } },
    });
    await seedOrder(h.db, "AB-OTHER", {
      payStatus: "PAY_APPLIED",
      declareStatus: "NOT_DECLARED",
      unchangedFor: 7200,
    });
    expect(await queriesDuring(() => run(client(), { batchSize: 2, abandonedCursor }))).toEqual([
      "AB-OTHER",
      "AB-REGULAR",
    ]);
  });

  it("asks the next run about the order whose query was refused: it was not asked about", async () => {
    const nos = ["RF-A", "RF-B", "RF-C"];
    for (const [i, no] of nos.entries())
      await seedOrder(h.db, no, {
        payStatus: "PAY_APPLIED",
        declareStatus: "NOT_DECLARED",
        unchangedFor: 7200 - i,
      });
    api.setOrders(nos.map((no) => payzeroOrder(no, "PAY_SUCCEED", "DECLARED")));
    const cursor = memoryCursor();
    const c = client();
    api.state.refuseAllTokens = true;
    expect(await queriesDuring(() => run(c, { cursor, batchSize: 2 }))).toEqual(["RF-A", "RF-A"]);
    api.state.refuseAllTokens = false;
    expect(await queriesDuring(() => run(c, { cursor, batchSize: 2 }))).toEqual(["RF-A", "RF-B"]);
  });
});
