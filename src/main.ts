// Entry point: `tsx src/main.ts <api|worker|all|migrate>` (npm start, start:api, start:worker, migrate).
import closeWithGrace from "close-with-grace";
import { type Logger, pino } from "pino";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { migrate } from "./db/migrate.js";
import { loggerOptions } from "./ops/logger.js";
import { startTracing } from "./ops/tracing.js";
import { serveParent, superviseWorkers } from "./supervise.js";
import type { Stoppable } from "./workers.js";

const ROLES = ["api", "worker", "all", "migrate"] as const;
type Role = (typeof ROLES)[number];

async function main(role: Role): Promise<void> {
  if (asChild) serveParent();
  const config = loadConfig(process.env, role);
  const log = pino(loggerOptions(config.logLevel, config.nodeEnv));
  if (role === "migrate") {
    const applied = await migrate(config.databaseUrl);
    log.info({ applied }, applied.length ? "migrations applied" : "database is up to date");
    await sealWithMigrate(config, log);
    return;
  }
  // Before anything that makes spans; a no-op unless an OTLP endpoint is set.
  const stopTracing = await startTracing(config, asChild ? "worker" : role);
  const running: Stoppable[] = [];
  let starting: Promise<void> = Promise.resolve();
  // Signals are taken from the first moment: a SIGTERM during start-up (a slow machine, Redis not
  // up yet) waits for it to finish and stops what started, instead of killing the process outright.
  closeWithGrace({ delay: 20_000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, "stopping after an error");
    else log.info({ signal }, "stopping");
    await starting.catch(() => {});
    // The receiver first (stop taking messages), then the workers finish what they hold.
    for (const s of running) await s.stop();
    await stopTracing().catch((e: unknown) => log.warn({ err: e }, "traces not all exported"));
  });
  starting = startRole(role, config, log, running);
  await starting;
}

/** After the migrations: seal plaintext and older-key values when ENCRYPTION_KEYS is set (start-up does it too). */
async function sealWithMigrate(config: Config, log: Logger): Promise<void> {
  if (config.encryptionKeys.length === 0) {
    log.info(
      "ENCRYPTION_KEYS not set: endpoint secrets and personal data are sealed when the api or worker role starts",
    );
    return;
  }
  const [{ createDb }, { checkAndSeal }, { keyringOf }, { sealPersonalDataWithMigrate }] = await Promise.all([
    import("./db/client.js"),
    import("./webhooks/endpoints/endpoint-sealing.js"),
    import("./crypto/keyring.js"),
    import("./orders/seal-existing.js"),
  ]);
  const db = createDb(config.databaseUrl, 1);
  try {
    const keyring = keyringOf(config);
    const report = await checkAndSeal(db, keyring);
    log.info({ ...report, key: keyring.sealingId }, "endpoint secrets and headers sealed with the first key");
    const personal = await sealPersonalDataWithMigrate(db, config);
    log.info({ ...personal, key: keyring.sealingId }, "payers' personal data sealed with the first key");
  } finally {
    await db.$disconnect();
  }
}

async function startRole(role: Role, config: Config, log: Logger, running: Stoppable[]): Promise<void> {
  // Each role loads only its own code: the worker child carries no HTTP stack (less memory).
  if (role === "api" || role === "all")
    running.push(await (await import("./roles.js")).startApi(config, log));
  // `all` runs its workers in a thread or a child process (`worker --child`), which serves no HTTP of its own.
  if (role === "all") running.push(superviseWorkers(log, config.workerMode));
  if (role === "worker")
    running.push(await (await import("./workers.js")).startWorkers(config, log, !asChild));
}

const role = process.argv[2] ?? "all";
const asChild = process.argv[3] === "--child";
if (!(ROLES as readonly string[]).includes(role)) {
  console.error(`usage: main.ts <${ROLES.join("|")}> (got "${role}")`);
  process.exit(2);
}
main(role as Role).catch((err: unknown) => {
  const known = err instanceof ConfigError || (err instanceof Error && err.name === "SealingError");
  console.error(known ? (err as Error).message : err);
  process.exit(1);
});
