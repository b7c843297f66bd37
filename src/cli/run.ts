// Runs one parsed invocation against a database and config; the exit code is the answer. The
// operations' deps are built here, once per invocation (one per process).
import { userInfo } from "node:os";
import type { Actor } from "../actor.js";
import { auditDeps } from "../audit/deps.js";
import { auditWrites } from "../audit/record.js";
import { ordersDeps, payzeroAsk } from "../orders/deps.js";
import { tokensDeps } from "../tokens/deps.js";
import { webhookDeps } from "../webhooks/deps.js";
import type { Invocation } from "./args.js";
import { listAuditCommand, verifyAuditCommand } from "./commands/audit.js";
import { backfillCommand } from "./commands/backfill.js";
import { listDeliveries } from "./commands/deliveries.js";
import { expectOrdersCommand } from "./commands/expect.js";
import { eraseOrder, showOrder } from "./commands/order.js";
import { queryOrderCommand, retryOrderCommand } from "./commands/order-actions.js";
import { registerRefundCommand, showRefundCommand } from "./commands/refund.js";
import { replayCommand } from "./commands/replay.js";
import { retryDeliveries } from "./commands/retry.js";
import { createTokenCommand, listTokensCommand, revokeTokenCommand } from "./commands/tokens.js";
import { type CliContext, type CommandContext, EXIT } from "./context.js";
import { HELP } from "./help.js";

function cliActor(): Actor {
  try {
    return { kind: "cli", user: userInfo().username };
  } catch {
    // No passwd entry for this uid (a container's arbitrary user).
    return { kind: "cli", user: String(process.getuid?.() ?? "unknown") };
  }
}

/** Asking Payzero logs nothing: the command prints its answer. */
const quiet = { info: () => {}, warn: () => {} };

/** What every command gets: the operations' deps, built once per invocation, and who ran it. */
export function commandContext(invocation: CliContext): CommandContext {
  // Writes go to the audit log only: a log line on stderr would change every command's output.
  const recordWrite = auditWrites(invocation.db);
  return {
    ...invocation,
    orders: ordersDeps(invocation.db, recordWrite, payzeroAsk(invocation.config, quiet)),
    webhooks: webhookDeps(invocation.config, invocation.db, recordWrite),
    audit: auditDeps(invocation.db, recordWrite),
    tokens: tokensDeps(invocation.db, recordWrite),
    actor: cliActor(),
  };
}

export async function runInvocation(invocation: CliContext, inv: Invocation): Promise<number> {
  const ctx = commandContext(invocation);
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
    case "order-retry":
      return retryOrderCommand(ctx, inv);
    case "order-query":
      return queryOrderCommand(ctx, inv);
    case "order-erase":
      return eraseOrder(ctx, inv);
    case "expect":
      return expectOrdersCommand(ctx, inv);
    case "refund-register":
      return registerRefundCommand(ctx, inv);
    case "refund-show":
      return showRefundCommand(ctx, inv);
    case "replay":
      return replayCommand(ctx, inv);
    case "backfill":
      return backfillCommand(ctx, inv);
    case "audit-verify":
      return verifyAuditCommand(ctx, inv);
    case "audit-list":
      return listAuditCommand(ctx, inv);
    case "tokens-create":
      return createTokenCommand(ctx, inv);
    case "tokens-list":
      return listTokensCommand(ctx, inv);
    case "tokens-revoke":
      return revokeTokenCommand(ctx, inv);
  }
}
