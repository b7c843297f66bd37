// Runs one parsed invocation against a database and config; the exit code is the answer. The
// operations' deps are built here, once per invocation (one per process).
import { userInfo } from "node:os";
import type { Actor } from "../actor.js";
import type { RecordWrite } from "../audit.js";
import { ordersDeps } from "../orders/deps.js";
import type { Invocation } from "./args.js";
import { backfillCommand } from "./commands/backfill.js";
import { listDeliveries } from "./commands/deliveries.js";
import { expectOrdersCommand } from "./commands/expect.js";
import { showOrder } from "./commands/order.js";
import { replayCommand } from "./commands/replay.js";
import { retryDeliveries } from "./commands/retry.js";
import { type CliContext, type CommandContext, EXIT } from "./context.js";
import { HELP } from "./help.js";

/**
 * Not recorded yet: a log line on stderr would change every write command's output (scripts read it).
 * The audit table replaces this sink.
 */
const recordNothing: RecordWrite = async () => {};

function cliActor(): Actor {
  try {
    return { kind: "cli", user: userInfo().username };
  } catch {
    // No passwd entry for this uid (a container's arbitrary user).
    return { kind: "cli", user: String(process.getuid?.() ?? "unknown") };
  }
}

export async function runInvocation(invocation: CliContext, inv: Invocation): Promise<number> {
  const ctx: CommandContext = {
    ...invocation,
    orders: ordersDeps(invocation.db, recordNothing),
    actor: cliActor(),
  };
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
      return replayCommand(ctx, inv);
    case "backfill":
      return backfillCommand(ctx, inv);
  }
}
