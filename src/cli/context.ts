// What every command gets, and what it answers.
import type { Actor } from "../actor.js";
import type { AuditDeps } from "../audit/deps.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import type { OrdersDeps } from "../orders/deps.js";
import type { TokensDeps } from "../tokens/deps.js";
import type { WebhookDeps } from "../webhooks/deps.js";

/** Where a command writes: `print` for its answer (stdout), `error` for one-line problems (stderr). */
export interface Output {
  print(line: string): void;
  error(line: string): void;
}

/** What main (or a test) gives an invocation. */
export interface CliContext {
  db: Db;
  config: Config;
  out: Output;
}

/** What a command gets: the invocation's context, the operations' deps built from it, who runs it. */
export interface CommandContext extends CliContext {
  orders: OrdersDeps;
  webhooks: WebhookDeps;
  audit: AuditDeps;
  tokens: TokensDeps;
  /** The operating-system user who ran the command. */
  actor: Actor;
}

/** 0 done; 1 not found, nothing to do, refused or failed; 2 the command line is wrong. */
export const EXIT = { ok: 0, notFound: 1, usage: 2 } as const;

export function printJson(out: Output, value: unknown): void {
  out.print(JSON.stringify(value, null, 2));
}
