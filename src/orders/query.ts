// Asking Payzero about one order now (POST /v1/orders/:mchtOrderNo/query, CLI `order query`, the console's
// order page), for a customer waiting at checkout (sections 4.3, 5.6, 6.3): the reconciler's question
// (queryOrder, then /order/feedback when queryOrder does not know the order) and its apply step, at once
// and within ASK_TIMEOUT_MS. When Payzero cannot be asked, nothing changes.
import { setTimeout as delay } from "node:timers/promises";
import type { Actor } from "../actor.js";
import { PayzeroApiError, PayzeroAuthError } from "../payzero/errors.js";
import type { QueriedOrder, QueryPath } from "../payzero/query-api.js";
import { applyAnswer } from "../reconcile/reconcile.js";
import { clearUnknown, markUnknown, newestKnown } from "../reconcile/store.js";
import type { Refusal } from "../refusal.js";
import type { OrdersDeps } from "./deps.js";
import { orderNosProblem } from "./expected.js";
import { type OrderJson, orderJson } from "./json.js";
import { maskPayer } from "./mask.js";
import { openOrder } from "./personal-data.js";

export interface QueriedNow {
  /** The order as it stands after Payzero's answer was applied, the payer's data masked (null: not known here). */
  order: OrderJson | null;
  payzero: {
    /** Whether Payzero knows the order (false: every query path answered "no such order"). */
    known: boolean;
    /** The query that answered: /order/queryOrder or /order/feedback. */
    path: QueryPath | null;
    payStatus: string | null;
    declareStatus: string | null;
    declareFailReason: string | null;
    /** Payzero's words when it does not know the order. */
    message: string | null;
    /** The messages its answer was applied as (source payzero-query): one per status that differed. */
    applied: string[];
    changedOrder: boolean;
  };
}

class TimedOut extends Error {}

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      delay(ms, undefined, { signal: timer.signal }).then(() => Promise.reject(new TimedOut())),
    ]);
  } finally {
    timer.abort();
  }
}

/**
 * Asks Payzero about the order and applies the answer. 400 for a bad number; 503 without Payzero's API
 * configured; 429 when this process's pace (RECONCILE_RATE_PER_SECOND) has no slot within a second;
 * 504 when Payzero does not answer in time and 502 when it cannot be asked (nothing changed then); 404
 * when neither this service nor Payzero knows the order.
 */
export async function queryOrderNow(
  deps: OrdersDeps,
  actor: Actor,
  input: { mchtOrderNo: string },
): Promise<QueriedNow | Refusal> {
  const { mchtOrderNo } = input;
  const badNo = orderNosProblem([mchtOrderNo]);
  if (badNo) return { code: 400, message: badNo.replace("mchtOrderNos[0]", "mchtOrderNo") };
  const ask = deps.payzero;
  if (ask === null)
    return {
      code: 503,
      message: "Payzero's query API is not configured (PAYZERO_API_URL, PAYZERO_APP_ID, PAYZERO_APP_KEY)",
    };
  const wait = ask.pace(1000);
  if (wait === null)
    return {
      code: 429,
      message: "too many questions to Payzero at once (RECONCILE_RATE_PER_SECOND): ask again",
    };
  if (wait > 0) await delay(wait);
  const { db } = deps;
  const stored = await db.order.findUnique({ where: { mchtOrderNo } });
  const horizon = await newestKnown(db, mchtOrderNo);
  const askedAt = new Date();
  let answer: QueriedOrder;
  try {
    answer = await within(ask.client.queryOrder(mchtOrderNo), ask.timeoutMs);
  } catch (err) {
    const said = err instanceof Error ? err.message : String(err);
    if (err instanceof TimedOut)
      return {
        code: 504,
        message: `Payzero did not answer within ${ask.timeoutMs / 1000} s; nothing changed`,
      };
    if (err instanceof PayzeroAuthError)
      return { code: 502, message: `Payzero refused the service's credentials (${said}); nothing changed` };
    if (!(err instanceof PayzeroApiError)) {
      ask.log.warn({ mchtOrderNo, err: said }, "query now: Payzero could not be asked");
      return { code: 502, message: `Payzero could not be asked (${said}); nothing changed` };
    }
    if (stored === null)
      return { code: 404, message: `neither this service nor Payzero knows ${mchtOrderNo}` };
    await markUnknown(db, mchtOrderNo);
    await deps.recordWrite({ actor, action: "order.query", target: mchtOrderNo, summary: { known: false } });
    return { order: await current(deps, mchtOrderNo), payzero: { ...NOTHING, message: said } };
  }
  if (stored?.payzeroUnknownSince) await clearUnknown(db, mchtOrderNo);
  const applied = await applyAnswer(
    { db, fanOut: ask.fanOut, log: ask.log },
    stored ?? {
      mchtOrderNo,
      payStatus: null,
      declareStatus: null,
      updatedAt: askedAt,
      payzeroUnknownSince: null,
    },
    answer,
    horizon,
    askedAt,
  );
  await deps.recordWrite({
    actor,
    action: "order.query",
    target: mchtOrderNo,
    summary: { known: true, path: answer.path, applied: applied.msgTypes, changedOrder: applied.changed },
  });
  return {
    order: await current(deps, mchtOrderNo),
    payzero: {
      known: true,
      path: answer.path,
      payStatus: answer.dto.payStatus,
      declareStatus: answer.dto.declareStatus,
      declareFailReason: answer.dto.declareFailReason,
      message: null,
      applied: applied.msgTypes,
      changedOrder: applied.changed,
    },
  };
}

const NOTHING: QueriedNow["payzero"] = {
  known: false,
  path: null,
  payStatus: null,
  declareStatus: null,
  declareFailReason: null,
  message: null,
  applied: [],
  changedOrder: false,
};

async function current({ db }: OrdersDeps, mchtOrderNo: string): Promise<OrderJson | null> {
  const order = await db.order.findUnique({ where: { mchtOrderNo } });
  return order ? maskPayer(orderJson(openOrder(order))) : null;
}
