// What the CLI's webhook commands (deliveries, retry, backfill) call the operations with: their deps,
// built once per run, and the actor (the operating-system user who ran the command).
import { userInfo } from "node:os";
import type { Actor } from "../actor.js";
import { auditWrites } from "../audit/record.js";
import { type WebhookDeps, webhookDeps } from "../webhooks/deps.js";
import type { CliContext } from "./context.js";

const built = new WeakMap<CliContext, WebhookDeps>();

export function cliWebhooks(ctx: CliContext): WebhookDeps {
  let deps = built.get(ctx);
  if (!deps) {
    // Writes go to the audit log only: the CLI's stderr is its answer (one line per problem).
    deps = webhookDeps(ctx.config, ctx.db, auditWrites(ctx.db));
    built.set(ctx, deps);
  }
  return deps;
}

export function cliActor(): Actor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? "unknown";
  }
  return { kind: "cli", user };
}
