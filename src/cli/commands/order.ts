// `order`: an order's current state and its notification history, payer data masked (the timeline
// operation masks it), printed as a table or JSON.
import { erasePersonalData } from "../../orders/erase.js";
import { type MaskedOrder, type OrderHistory, orderHistory } from "../../orders/history.js";
import { isRefusal } from "../../refusal.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell, formatFields, formatTable, payzeroTime } from "../table.js";

export interface OrderOptions {
  mchtOrderNo: string;
  json: boolean;
}

export async function showOrder({ orders, out }: CommandContext, opts: OrderOptions): Promise<number> {
  const history = await orderHistory(orders, { mchtOrderNo: opts.mchtOrderNo });
  if (isRefusal(history)) {
    out.error(`${history.message}: ${cell(opts.mchtOrderNo)}`);
    return EXIT.notFound;
  }
  const view = {
    order: history.order ? orderView(history.order) : null,
    notifications: history.notifications.map(historyItem),
  };
  if (opts.json) printJson(out, view);
  else for (const line of orderLines(opts.mchtOrderNo, view)) out.print(line);
  return EXIT.ok;
}

/** `order erase <mchtOrderNo>`: the payer's personal data erased everywhere (DELETE /v1/orders/:no/personal-data). */
export async function eraseOrder(ctx: CommandContext, opts: OrderOptions): Promise<number> {
  const erased = await erasePersonalData(ctx.orders, ctx.actor, opts.mchtOrderNo);
  if (isRefusal(erased)) {
    ctx.out.error(`${erased.message}`);
    return EXIT.notFound;
  }
  if (opts.json) printJson(ctx.out, erased);
  else
    ctx.out.print(
      `personal data of order ${cell(opts.mchtOrderNo)} erased (${erased.notifications} notification(s) rewritten)`,
    );
  return EXIT.ok;
}

/** The masked order without the raw payment-channel request and response. */
function orderView(order: MaskedOrder) {
  const { initRequest: _req, initResponse: _res, ...shown } = order;
  return shown;
}

type OrderView = ReturnType<typeof orderView>;
type HistoryItem = ReturnType<typeof historyItem>;

/** Never msgBody (the timeline holds none: it carries the payer's data in full). */
function historyItem(n: OrderHistory["notifications"][number]) {
  return {
    id: n.id,
    msgType: n.msgType,
    timestamp: Number(n.timestamp),
    timestampIso: payzeroTime(n.timestamp),
    receivedAt: n.receivedAt.toISOString(),
    changedOrder: n.changedOrder,
    problem: n.problem,
    source: n.source,
    deliveries: countStatuses(n.deliveries),
  };
}

function countStatuses(rows: Array<{ status: string }>) {
  const counts = { succeeded: 0, pending: 0, failed: 0 };
  for (const r of rows) if (r.status in counts) counts[r.status as keyof typeof counts] += 1;
  return counts;
}

function orderLines(mchtOrderNo: string, view: { order: OrderView | null; notifications: HistoryItem[] }) {
  const state = view.order
    ? stateLines(view.order)
    : [`order ${cell(mchtOrderNo)}: no state (no notification applied)`];
  const history = view.notifications.map((n) => [
    cell(n.id),
    cell(n.msgType),
    cell(n.timestampIso),
    cell(n.receivedAt),
    n.changedOrder ? "yes" : "no",
    cell(n.problem, 50),
    cell(n.source),
    `${n.deliveries.succeeded} ok/${n.deliveries.failed} failed/${n.deliveries.pending} pending`,
  ]);
  const headers = ["ID", "TYPE", "PAYZERO TIME", "RECEIVED", "CHANGED", "PROBLEM", "SOURCE", "DELIVERIES"];
  return [
    ...state,
    "",
    `history (${view.notifications.length}, oldest first):`,
    ...formatTable(headers, history),
  ];
}

function stateLines(o: OrderView): string[] {
  const amount =
    o.paymentAmount === null ? "-" : `${o.paymentAmount} fen (${(o.paymentAmount / 100).toFixed(2)} CNY)`;
  return formatFields([
    ["order", cell(o.mchtOrderNo)],
    ["pay status", statusAt(o.payStatus, o.payStatusAt)],
    ["declare status", statusAt(o.declareStatus, o.declareStatusAt)],
    ["declare fail reason", cell(o.declareFailReason)],
    ["amount", amount],
    ["payer", `${cell(o.payerName)}  ${cell(o.payerNumber)}  ${cell(o.payerPhone)}`],
    ["subject", cell(o.subject)],
    ["payment order no", cell(o.paymentOrderNo)],
    ["pay type", cell(o.payType)],
    ["payment datetime", cell(o.paymentDatetime)],
    ["customs pay company", `${cell(o.customsPayCompanyName)} (${cell(o.customsPayCompanyCode)})`],
    ["ver dept", cell(o.verDept)],
    ["created / updated", `${o.createdAt} / ${o.updatedAt}`],
  ]);
}

function statusAt(status: string | null, at: number | null): string {
  return status === null ? "-" : `${cell(status)} at ${payzeroTime(at)}`;
}
