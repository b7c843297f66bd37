// `expect`: registers orders to expect, like POST /v1/orders/expected.
import { registerExpectedOrders } from "../../orders/expected.js";
import { isRefusal } from "../../refusal.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell } from "../table.js";

export interface ExpectOptions {
  mchtOrderNos: string[];
  needDeclare: boolean | null;
  json: boolean;
}

export async function expectOrdersCommand(
  { orders, actor, out }: CommandContext,
  opts: ExpectOptions,
): Promise<number> {
  const result = await registerExpectedOrders(orders, actor, opts);
  if (isRefusal(result)) {
    out.error(cell(result.message, 300));
    return EXIT.notFound;
  }
  if (opts.json) printJson(out, result);
  else
    out.print(
      `expected ${result.expected} order(s): ${result.added} new, ${result.expected - result.added} already known`,
    );
  return EXIT.ok;
}
