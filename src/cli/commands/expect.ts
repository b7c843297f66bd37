// `expect`: registers orders to expect, like POST /v1/orders/expected.
import { expectOrders } from "../../orders/expected.js";
import { type CliContext, EXIT, printJson } from "../context.js";

export interface ExpectOptions {
  mchtOrderNos: string[];
  needDeclare: boolean | null;
  json: boolean;
}

export async function expectOrdersCommand({ db, out }: CliContext, opts: ExpectOptions): Promise<number> {
  const result = await expectOrders(db, opts.mchtOrderNos, opts.needDeclare);
  if (opts.json) printJson(out, result);
  else
    out.print(
      `expected ${result.expected} order(s): ${result.added} new, ${result.expected - result.added} already known`,
    );
  return EXIT.ok;
}
