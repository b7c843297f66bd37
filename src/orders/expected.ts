// Orders the merchant's systems say to expect (POST /v1/orders/expected, CLI `expect`): an order row
// with no status yet, so the reconciler asks Payzero about it even if every notification of it is lost.
import type { Actor } from "../actor.js";
import type { Db } from "../db/client.js";
import type { Refusal } from "../refusal.js";
import type { OrdersDeps } from "./deps.js";

/** Order numbers in one registration at most. */
export const MAX_EXPECTED = 1000;
/** As long as GET /v1/orders/:mchtOrderNo takes. */
export const MAX_ORDER_NO_LENGTH = 200;

export interface ExpectedResult {
  /** Distinct order numbers given. */
  expected: number;
  /** Of those, the ones not known before (new rows). */
  added: number;
}

/** The first problem of a list of order numbers, or undefined. Pure. */
export function orderNosProblem(nos: readonly string[]): string | undefined {
  if (nos.length === 0) return "mchtOrderNos must name at least one order";
  if (nos.length > MAX_EXPECTED) return `mchtOrderNos holds ${nos.length} orders, at most ${MAX_EXPECTED}`;
  for (const [i, no] of nos.entries()) {
    const where = `mchtOrderNos[${i}]`;
    if (no.trim() === "") return `${where} is blank`;
    if (no.length > MAX_ORDER_NO_LENGTH) return `${where} is longer than ${MAX_ORDER_NO_LENGTH} characters`;
    // Postgres text holds neither; such a number would fail the whole statement.
    if (no.includes("\u0000") || /\p{Cs}/u.test(no)) return `${where} is not text (NUL or lone surrogate)`;
  }
  return undefined;
}

/**
 * Registers the orders, idempotently: an order already known (from notifications or an earlier
 * registration) keeps its state and first registration time; `needDeclare`, when given, replaces the
 * registered one. New rows count as changed now (Postgres's clock, the one the reconciler measures
 * staleness on; `at` only in tests), so the reconciler asks about them once they are stale.
 * The caller checks the numbers first (orderNosProblem).
 */
export async function expectOrders(
  db: Db,
  mchtOrderNos: readonly string[],
  needDeclare: boolean | null,
  at: Date | null = null,
): Promise<ExpectedResult> {
  const nos = [...new Set(mchtOrderNos)];
  const rows = await db.$queryRaw<Array<{ added: boolean }>>`
    WITH t AS (SELECT COALESCE(${at}::timestamptz, now()) AS now)
    INSERT INTO orders (mcht_order_no, expected_at, need_declare, created_at, updated_at)
    SELECT o, t.now, ${needDeclare}, t.now, t.now FROM unnest(${nos}::text[]) AS o, t
    ON CONFLICT (mcht_order_no) DO UPDATE
       SET expected_at = COALESCE(orders.expected_at, EXCLUDED.expected_at),
           need_declare = COALESCE(EXCLUDED.need_declare, orders.need_declare)
    RETURNING (xmax = 0) AS added`;
  return { expected: nos.length, added: rows.filter((r) => r.added).length };
}

/**
 * The operation behind POST /v1/orders/expected and the CLI's `expect`: checks the numbers (a 400
 * names the first problem, nothing written), registers them and records the write.
 */
export async function registerExpectedOrders(
  deps: OrdersDeps,
  actor: Actor,
  input: { mchtOrderNos: readonly string[]; needDeclare: boolean | null },
): Promise<ExpectedResult | Refusal> {
  const problem = orderNosProblem(input.mchtOrderNos);
  if (problem) return { code: 400, message: problem };
  const result = await expectOrders(deps.db, input.mchtOrderNos, input.needDeclare);
  const [first] = input.mchtOrderNos;
  await deps.recordWrite({
    actor,
    action: "order.expect",
    target: result.expected === 1 ? String(first) : `${first} and ${result.expected - 1} more`,
    summary: { ...result, needDeclare: input.needDeclare },
  });
  return result;
}
