// A Payzero simulator for development and demos: `npm run simulate -- <send|batch|api|demo> [flags]`.
import { runCommand } from "../src/simulator/cli.js";
import { parseCommand, USAGE } from "../src/simulator/options.js";

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(process.argv.slice(2), process.env, Date.now().toString(36));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
  const api = await runCommand(command, (line) => console.log(line));
  if (api === null) return;
  const stop = () => {
    api.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
