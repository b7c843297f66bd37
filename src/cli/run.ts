// Runs one parsed invocation against a database and config; the exit code is the answer.
import type { Invocation } from "./args.js";
import { backfillCommand } from "./commands/backfill.js";
import { listDeliveries } from "./commands/deliveries.js";
import { expectOrdersCommand } from "./commands/expect.js";
import { showOrder } from "./commands/order.js";
import { replayNotification } from "./commands/replay.js";
import { retryDeliveries } from "./commands/retry.js";
import { type CliContext, EXIT } from "./context.js";
import { HELP } from "./help.js";

export async function runInvocation(ctx: CliContext, inv: Invocation): Promise<number> {
  switch (inv.command) {
    case "help":
      ctx.out.print(HELP);
      return EXIT.ok;
    case "deliveries":
      return listDeliveries(ctx, inv);
    case "retry":
      return retryDeliveries(ctx, inv);
    case "order":
      return showOrder(ctx, inv);
    case "expect":
      return expectOrdersCommand(ctx, inv);
    case "replay":
      return replayNotification(ctx, inv);
    case "backfill":
      return backfillCommand(ctx, inv);
  }
}
