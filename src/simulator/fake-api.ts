// A fake Payzero query API for development, demos and tests: /auth/login, /order/queryOrder (QR,
// quick-pay and mock-pay orders, sections 4.3/5.6/6.3) and /order/feedback (auto-pay and batch orders,
// section 2.4) answered from in-memory stores, each path knowing only its own kind of order, the refund
// status query (GET /order/refund, section 9.2) answering scripted progressions, plus
// POST /_sim/orders[?kind=batch] and POST /_sim/refunds to fill them from another process. Loopback only.
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { parseOrderResult } from "../payzero/orderResult.js";
import type { OrderResultJson } from "../payzero/query-api.js";
import { checkToken, issueToken } from "./fake-token.js";

export interface FakeApiOptions {
  appId: string;
  appKey: string;
  port?: number;
  /** Lifetime of the tokens it issues; default 4 h like Payzero's. */
  tokenTtlMs?: number;
  now?: () => number;
}

/**
 * A refund as the fake knows it: each query of it answers the next of `statuses` (A.8), the last one
 * for ever after, e.g. ["REFUND_REQUESTED", "REFUND_REQUESTED", "REFUND_SUCCEED"].
 */
interface ScriptedRefund {
  mchtRefundOrderNo: string;
  mchtOrderNo: string;
  refundAmount: number;
  statuses: string[];
}

/** What the tests and the demo can see and change. */
interface FakeApiState {
  /** Refunds /order/refund knows, and how many times each was asked about. */
  refunds: Map<string, ScriptedRefund & { asked: number }>;
  /** Every /order/refund request (its mchtRefundOrderNo), answered or not. */
  refundQueries: string[];
  /** Orders /order/queryOrder knows (created by sections 4, 5 or 6). */
  orders: Map<string, OrderResultJson>;
  /** Orders /order/feedback knows (auto-pay and batch orders, section 2). */
  batchOrders: Map<string, OrderResultJson>;
  logins: number;
  refusedLogins: number;
  /** Every /order/queryOrder request, answered or not. */
  queries: string[];
  /** Every /order/feedback request, answered or not. */
  feedbackQueries: string[];
  /** Tokens answered with 401, as if expired or revoked (see FakeApi.revokeIssuedTokens). */
  revoked: Set<string>;
  /** Refuse every token with 401, even fresh ones. */
  refuseAllTokens: boolean;
  /** The next N queries are answered with `failStatus` (default 500). */
  failQueries: number;
  failStatus: number;
  /**
   * How a query path answers about an order it does not know: `success: false` with an error code (the
   * default), `success: true` with `data: null`, or an HTTP status (a 404 …) with no envelope.
   */
  unknownOrder: "error" | "null" | number;
}

export interface FakeApi {
  url: string;
  state: FakeApiState;
  setOrders: (orders: Iterable<OrderResultJson>) => void;
  /** Auto-pay and batch orders: only /order/feedback answers them. */
  setBatchOrders: (orders: Iterable<OrderResultJson>) => void;
  /** Refunds for /order/refund, each starting its progression again. */
  setRefunds: (refunds: Iterable<ScriptedRefund>) => void;
  /** Every token issued so far is refused from now on; new logins get working ones. */
  revokeIssuedTokens: () => void;
  close: () => Promise<void>;
}

type Envelope = { success: boolean; errorCode: string | null; errorMsg: string | null; data: unknown };
const ok = (data: unknown): Envelope => ({ success: true, errorCode: null, errorMsg: null, data });
const fail = (errorCode: string, errorMsg: string): Envelope => ({
  success: false,
  errorCode,
  errorMsg,
  data: null,
});

export async function startFakeApi(options: FakeApiOptions): Promise<FakeApi> {
  const now = options.now ?? Date.now;
  const secret = randomBytes(32).toString("hex");
  const state: FakeApiState = {
    refunds: new Map(),
    refundQueries: [],
    orders: new Map(),
    batchOrders: new Map(),
    logins: 0,
    refusedLogins: 0,
    queries: [],
    feedbackQueries: [],
    revoked: new Set(),
    refuseAllTokens: false,
    failQueries: 0,
    failStatus: 500,
    unknownOrder: "error",
  };
  const setOrders = (orders: Iterable<OrderResultJson>) => {
    for (const o of orders) state.orders.set(o.mchtOrderNo, o);
  };
  const setBatchOrders = (orders: Iterable<OrderResultJson>) => {
    for (const o of orders) state.batchOrders.set(o.mchtOrderNo, o);
  };
  const setRefunds = (refunds: Iterable<ScriptedRefund>) => {
    for (const r of refunds) state.refunds.set(r.mchtRefundOrderNo, { ...r, asked: 0 });
  };
  const issued: string[] = [];
  const revokeIssuedTokens = () => {
    for (const t of issued) state.revoked.add(t);
  };
  const app = Fastify({ logger: false });

  app.post("/auth/login", async (request) => {
    const body = (request.body ?? {}) as { username?: unknown; password?: unknown };
    if (body.username !== options.appId || body.password !== options.appKey) {
      state.refusedLogins++;
      return fail("10001", "用户名或密码错误");
    }
    state.logins++;
    const token = issueToken(
      secret,
      `${options.appId}#${state.logins}`,
      now(),
      options.tokenTtlMs ?? 4 * 3600_000,
    );
    issued.push(token);
    return ok({ username: options.appId, token });
  });

  const queryRoute =
    (asked: string[], store: Map<string, OrderResultJson>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const no = (request.query as { mchtOrderNo?: string }).mchtOrderNo ?? "";
      asked.push(no);
      // 技术综述: 403 when the Authorization header is missing, 401 when its token is not right.
      if (request.headers.authorization === undefined)
        return reply.code(403).send({ error: "Forbidden", message: "no Authorization header" });
      if (!authorized(request, secret, state, now())) return refuse(reply);
      if (state.failQueries > 0) {
        state.failQueries--;
        return reply.code(state.failStatus).send({ message: "simulated failure" });
      }
      const order = store.get(no);
      if (order) return ok(order);
      if (state.unknownOrder === "null") return ok(null);
      if (typeof state.unknownOrder === "number")
        return reply.code(state.unknownOrder).send({ error: "Not Found", message: `no order ${no}` });
      return fail("30004", `订单不存在: ${no}`);
    };
  app.get("/order/queryOrder", queryRoute(state.queries, state.orders));
  app.get("/order/feedback", queryRoute(state.feedbackQueries, state.batchOrders));

  app.get("/order/refund", async (request, reply) => {
    const no = (request.query as { mchtRefundOrderNo?: string }).mchtRefundOrderNo ?? "";
    state.refundQueries.push(no);
    if (request.headers.authorization === undefined)
      return reply.code(403).send({ error: "Forbidden", message: "no Authorization header" });
    if (!authorized(request, secret, state, now())) return refuse(reply);
    if (state.failQueries > 0) {
      state.failQueries--;
      return reply.code(state.failStatus).send({ message: "simulated failure" });
    }
    const refund = state.refunds.get(no);
    if (!refund) return fail("30005", `退款请求不存在: ${no}`);
    const status = refund.statuses[Math.min(refund.asked, refund.statuses.length - 1)];
    refund.asked++;
    const { mchtOrderNo, mchtRefundOrderNo, refundAmount } = refund;
    return ok({ mchtOrderNo, mchtRefundOrderNo, refundAmount, refundStatus: status });
  });

  app.post("/_sim/refunds", async (request, reply) => {
    const list: unknown = request.body;
    if (!Array.isArray(list) || !list.every(isScriptedRefund))
      return reply
        .code(400)
        .send(fail("30001", "expected an array of {mchtRefundOrderNo, mchtOrderNo, refundAmount, statuses}"));
    setRefunds(list);
    return ok({ stored: list.length });
  });

  app.post("/_sim/orders", async (request, reply) => {
    const list: unknown = request.body;
    if (!Array.isArray(list) || !list.every((o) => parseOrderResult(JSON.stringify(o)).ok))
      return reply.code(400).send(fail("30001", "expected an array of orderResultDto"));
    const batch = (request.query as { kind?: string }).kind === "batch";
    (batch ? setBatchOrders : setOrders)(list as OrderResultJson[]);
    return ok({ stored: list.length });
  });

  const address = await app.listen({ host: "127.0.0.1", port: options.port ?? 0 });
  return {
    url: address,
    state,
    setOrders,
    setBatchOrders,
    setRefunds,
    revokeIssuedTokens,
    close: () => app.close(),
  };
}

function isScriptedRefund(v: unknown): v is ScriptedRefund {
  if (v === null || typeof v !== "object") return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.mchtRefundOrderNo === "string" &&
    typeof r.mchtOrderNo === "string" &&
    Number.isSafeInteger(r.refundAmount) &&
    Array.isArray(r.statuses) &&
    r.statuses.length > 0 &&
    r.statuses.every((s) => typeof s === "string")
  );
}

function authorized(request: FastifyRequest, secret: string, state: FakeApiState, nowMs: number): boolean {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
  const token = match?.[1];
  if (token === undefined || state.refuseAllTokens || state.revoked.has(token)) return false;
  return checkToken(secret, token, nowMs);
}

function refuse(reply: FastifyReply) {
  return reply.code(401).send({ error: "Unauthorized", message: "token invalid or expired" });
}
