import type { LoggerOptions } from "pino";

/**
 * Personal data and secrets never reach the logs: these keys are censored at the top of a logged
 * object and up to two levels down (pino's redaction takes fixed paths; deeper wildcards cost every
 * log line). The code never logs an order or a message body whole, so this is the safety net.
 */
const REDACTED_KEYS = [
  "payerName",
  "payerNumber",
  "payerPhone",
  "msgBody",
  "sign",
  "signToken",
  "secret",
  "authorization",
  "adminToken",
  "metricsToken",
] as const;

/** nodeEnv: config.nodeEnv (NODE_ENV); "production" keeps JSON lines even at a terminal. */
export function loggerOptions(level: string, nodeEnv = ""): LoggerOptions {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return {
    level,
    // ioredis puts the failed command on its errors: a job's arguments hold the whole notification.
    redact: {
      paths: [...paths, 'req.headers["webhook-signature"]', "err.command.args"],
      censor: "[redacted]",
    },
    ...(prettyWanted(nodeEnv) && {
      transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l" } },
    }),
  };
}

/** Human-readable lines only for a developer at a terminal; JSON everywhere else (and in the image). */
function prettyWanted(nodeEnv: string): boolean {
  if (!process.stdout.isTTY || nodeEnv === "production") return false;
  try {
    import.meta.resolve("pino-pretty");
    return true;
  } catch {
    return false;
  }
}
