// Runs CLI invocations in-process against a test database and Redis prefix, capturing what they print.
import { parseInvocation } from "../../../src/cli/args.js";
import { runInvocation } from "../../../src/cli/run.js";
import type { Config } from "../../../src/config.js";
import type { Db } from "../../../src/db/client.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(deps: { db: Db; config: Config }, ...argv: string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = { print: (line: string) => stdout.push(line), error: (line: string) => stderr.push(line) };
  const code = await runInvocation({ ...deps, out }, parseInvocation(argv));
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

/** The parsed JSON output of a --json run. */
export function json<T>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}
