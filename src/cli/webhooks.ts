// What the CLI's webhook commands (deliveries, retry, backfill) call the operations with: their deps,
// built once per run, and the actor (the operating-system user who ran the command).
import { userInfo } from "node:os";
import type { Actor } from "../actor.js";
import type { RecordWrite } from "../audit.js";
import { type WebhookDeps, webhookDeps } from "../webhooks/deps.js";
import type { CliContext } from "./context.js";

/**
 * The CLI has no log of its own: its stderr is its answer (one line per problem), so a write record
 * has nowhere to go until the audit table is its sink. The operations record every write all the same.
 */
const unrecorded: RecordWrite = async () => {};

const built = new WeakMap<CliContext, WebhookDeps>();

export function cliWebhooks(ctx: CliContext): WebhookDeps {
  let deps = built.get(ctx);
  if (!deps) {
    deps = webhookDeps(ctx.config, ctx.db, unrecorded);
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
