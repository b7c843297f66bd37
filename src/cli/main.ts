// Entry point of the operator CLI: `tsx src/cli/main.ts <command> [options]` (npm run cli -- …).
import { ConfigError, loadConfig } from "../config.js";
import { createDb } from "../db/client.js";
import { usePersonalDataKeys } from "../orders/personal-data.js";
import { errorMessage } from "../util.js";
import { parseInvocation, UsageError } from "./args.js";
import { EXIT, type Output } from "./context.js";
import { HELP } from "./help.js";
import { runInvocation } from "./run.js";
import { cell } from "./table.js";

const out: Output = {
  print: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/** One line, whatever the error (Prisma's and the config's messages span several). */
function oneLine(err: unknown): string {
  if (err instanceof ConfigError) return err.oneLine();
  const message = errorMessage(err);
  const lines = message.split("\n").map((l) => l.trim());
  return cell(lines.filter((l) => l.length > 0).at(-1) ?? message, 300);
}

async function main(argv: string[]): Promise<number> {
  let invocation: ReturnType<typeof parseInvocation>;
  try {
    invocation = parseInvocation(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    out.error(`error: ${err.message} (see "help")`);
    return EXIT.usage;
  }
  if (invocation.command === "help") {
    out.print(HELP);
    return EXIT.ok;
  }
  const config = loadConfig(process.env, "cli");
  // Without keys the CLI still runs the commands that read no personal data.
  if (config.encryptionKeys.length > 0) usePersonalDataKeys(config);
  const db = createDb(config.databaseUrl, 2);
  try {
    return await runInvocation({ db, config, out }, invocation);
  } finally {
    await db.$disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    out.error(`error: ${oneLine(err)}`);
    process.exitCode = EXIT.notFound;
  },
);
