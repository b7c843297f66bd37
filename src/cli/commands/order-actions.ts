// `order retry <no> --kind pay|declare` and `order query <no>`: announce a retry (like POST
// /v1/orders/:mchtOrderNo/retries) and ask Payzero now (like POST /v1/orders/:mchtOrderNo/query).
import { queryOrderNow } from "../../orders/query.js";
import { announceRetry } from "../../orders/retries.js";
import { isRefusal } from "../../refusal.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell } from "../table.js";

export async function retryOrderCommand(
  { orders, actor, out }: CommandContext,
  opts: { mchtOrderNo: string; kind: string; json: boolean },
): Promise<number> {
  const result = await announceRetry(orders, actor, opts);
  if (isRefusal(result)) {
    out.error(cell(result.message, 300));
    return EXIT.notFound;
  }
  if (opts.json) printJson(out, result);
  else
    out.print(
      `${result.kind} retry of ${cell(result.mchtOrderNo)} ${result.added ? "announced" : "already announced"} ` +
        `(generation ${result.generation}${result.registered ? ", order registered as expected" : ""}): ` +
        `the next ${result.kind === "pay" ? "PAY_STATUS_NOTIFY" : "DECLARE_STATUS_NOTIFY"} is a new event`,
    );
  return EXIT.ok;
}

export async function queryOrderCommand(
  { orders, actor, out }: CommandContext,
  opts: { mchtOrderNo: string; json: boolean },
): Promise<number> {
  const result = await queryOrderNow(orders, actor, opts);
  if (isRefusal(result)) {
    out.error(cell(result.message, 300));
    return EXIT.notFound;
  }
  if (opts.json) {
    printJson(out, result);
    return EXIT.ok;
  }
  const { payzero, order } = result;
  out.print(
    payzero.known
      ? `Payzero (${payzero.path}): ${cell(payzero.payStatus)} / ${cell(payzero.declareStatus)}; ` +
          (payzero.applied.length > 0 ? `applied as ${payzero.applied.join(", ")}` : "nothing new")
      : `Payzero does not know ${cell(opts.mchtOrderNo)}: ${cell(payzero.message, 200)}`,
  );
  if (order)
    out.print(
      `order ${cell(order.mchtOrderNo)}: ${cell(order.payStatus)} / ${cell(order.declareStatus)} (version ${order.version})`,
    );
  return EXIT.ok;
}
