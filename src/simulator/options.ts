// The simulator's command line (pure): `simulate <send|batch|api|demo> [flags]`.
import { parseArgs } from "node:util";

export const USAGE = `usage: npm run simulate -- <command> [flags]

  send    one notification:   --type PAY_STATUS_NOTIFY --order NO [--pay-status S] [--declare-status S]
                              or --file notification.json ({msgType, msgBody} or an orderResultDto)
  batch   payment then declaration notifications for N orders:
                              --orders 20 [--fail-rate 0.1] [--lose-rate 0] [--seed 1] [--prefix SIM-]
                              [--concurrency 8] [--api-url http://127.0.0.1:4010 (fills a running fake API)]
  api     a fake Payzero API (/auth/login, /order/queryOrder) on 127.0.0.1:
                              [--port 4010] [--app-id sim-app] [--app-key sim-key] [--token-ttl 14400]
  demo    api and batch in one process; the API keeps serving until Ctrl-C

  common: --url http://127.0.0.1:3000/payzero/notify   where notifications go
          --token T          signToken (default: the first of PAYZERO_SIGN_TOKEN)
          --schedule-scale K resend schedule 1m,5m,10m,1h,6h times K (0.001: 60 ms, 300 ms, …)`;

export interface SendTarget {
  url: string;
  token: string;
  scheduleScale: number;
}

export interface BatchFlags {
  orders: number;
  failRate: number;
  loseRate: number;
  seed: number;
  prefix: string;
  concurrency: number;
  apiUrl: string | null;
}

export interface ApiFlags {
  port: number;
  appId: string;
  appKey: string;
  tokenTtlSeconds: number;
}

export type Command =
  | {
      command: "send";
      target: SendTarget;
      msgType: string;
      file: string | null;
      order: Record<string, string>;
    }
  | { command: "batch"; target: SendTarget; batch: BatchFlags }
  | { command: "api"; api: ApiFlags }
  | { command: "demo"; target: SendTarget; batch: BatchFlags; api: ApiFlags };

const FLAGS = {
  url: { type: "string" },
  token: { type: "string" },
  "schedule-scale": { type: "string" },
  type: { type: "string" },
  order: { type: "string" },
  "pay-status": { type: "string" },
  "declare-status": { type: "string" },
  file: { type: "string" },
  orders: { type: "string" },
  "fail-rate": { type: "string" },
  "lose-rate": { type: "string" },
  seed: { type: "string" },
  prefix: { type: "string" },
  concurrency: { type: "string" },
  "api-url": { type: "string" },
  port: { type: "string" },
  "app-id": { type: "string" },
  "app-key": { type: "string" },
  "token-ttl": { type: "string" },
} as const;

type Values = Partial<Record<keyof typeof FLAGS, string>>;

export function parseCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  runId: string,
): Command {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: FLAGS,
    allowPositionals: true,
    strict: true,
  });
  const v: Values = values;
  const command = positionals[0];
  if (command === undefined || !["send", "batch", "api", "demo"].includes(command))
    throw new Error(command === undefined ? "no command given" : `unknown command "${command}"`);
  if (command === "api") return { command, api: apiFlags(v, env) };
  const target: SendTarget = {
    url: v.url ?? "http://127.0.0.1:3000/payzero/notify",
    token: v.token ?? env.PAYZERO_SIGN_TOKEN?.split(",")[0]?.trim() ?? "",
    scheduleScale: num(v, "schedule-scale", 1, 0, Number.POSITIVE_INFINITY),
  };
  if (target.token === "") throw new Error("--token (or PAYZERO_SIGN_TOKEN) is required");
  if (command === "send") {
    const order = {
      mchtOrderNo: v.order ?? `SIM-${runId}`,
      payStatus: v["pay-status"],
      declareStatus: v["declare-status"],
    };
    const present = Object.fromEntries(
      Object.entries(order).filter((e): e is [string, string] => e[1] !== undefined),
    );
    return { command, target, msgType: v.type ?? "PAY_STATUS_NOTIFY", file: v.file ?? null, order: present };
  }
  if (command === "batch") return { command, target, batch: batchFlags(v, runId) };
  return { command: "demo", target, batch: batchFlags(v, runId), api: apiFlags(v, env) };
}

function batchFlags(v: Values, runId: string): BatchFlags {
  return {
    orders: num(v, "orders", 20, 1, 100_000, true),
    failRate: num(v, "fail-rate", 0.1, 0, 1),
    loseRate: num(v, "lose-rate", 0, 0, 1),
    seed: num(v, "seed", 1, 0, 2 ** 32, true),
    prefix: v.prefix ?? `SIM-${runId}-`,
    concurrency: num(v, "concurrency", 8, 1, 256, true),
    apiUrl: v["api-url"] ?? null,
  };
}

function apiFlags(v: Values, env: Record<string, string | undefined>): ApiFlags {
  return {
    port: num(v, "port", 4010, 0, 65_535, true),
    appId: v["app-id"] ?? env.PAYZERO_APP_ID ?? "sim-app",
    appKey: v["app-key"] ?? env.PAYZERO_APP_KEY ?? "sim-key",
    tokenTtlSeconds: num(v, "token-ttl", 14_400, 1, 10 ** 9, true),
  };
}

function num(
  v: Values,
  flag: keyof Values,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  const text = v[flag];
  if (text === undefined) return fallback;
  const n = Number(text);
  const fits =
    text.trim() !== "" && Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
  if (!fits || (flag === "schedule-scale" && n <= 0))
    throw new Error(
      `--${flag} must be ${integer ? "an integer" : "a number"} in ${min}..${max} (got "${text}")`,
    );
  return n;
}
