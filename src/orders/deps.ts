// What the orders operations need, built once per process by ordersDeps: the api role's app, the
// console (the same object) and the CLI all call the same factory.
import type { RecordWrite } from "../audit/record.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { type Pace, pace } from "../payzero/pace.js";
import { PayzeroClient } from "../payzero/query-api.js";
import { claimedFanOut } from "../webhooks/delivery/delivery-rows.js";
import type { FanOut } from "./notification.js";

/** How long POST …/query waits for Payzero at most: a customer may be waiting at checkout. */
const ASK_TIMEOUT_MS = 5000;

/** Where asking Payzero now logs: the api app's logger, the CLI's none. */
interface AskLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What asking Payzero now (POST /v1/orders/:mchtOrderNo/query) needs; null when its API is not configured. */
export interface PayzeroAsk {
  client: Pick<PayzeroClient, "queryOrder">;
  /** This process's pace of questions (RECONCILE_RATE_PER_SECOND). */
  pace: Pace;
  fanOut: FanOut;
  log: AskLog;
  timeoutMs: number;
}

export interface OrdersDeps {
  db: Db;
  /** Where a write (expect, replay) is recorded: the audit seam of src/audit.ts. */
  recordWrite: RecordWrite;
  payzero: PayzeroAsk | null;
}

/**
 * One Payzero login per process (the client keeps its token), paced like the reconciler, its answers'
 * deliveries left for a worker process to send. Null without PAYZERO_API_URL, _APP_ID and _APP_KEY.
 */
export function payzeroAsk(config: Config, log: PayzeroAsk["log"]): PayzeroAsk | null {
  const api = config.payzeroApi;
  if (api === null) return null;
  // Each HTTP call well inside the bound, one retry: the bound (ASK_TIMEOUT_MS) decides, not the retries.
  const client = new PayzeroClient({
    baseUrl: api.url,
    appId: api.appId,
    appKey: api.appKey,
    queryPaths: api.queryPaths,
    timeoutMs: 2000,
    retries: 1,
    backoffMs: 200,
  });
  return {
    client,
    pace: pace(config.reconcile.ratePerSecond),
    fanOut: claimedFanOut,
    log,
    timeoutMs: ASK_TIMEOUT_MS,
  };
}

export function ordersDeps(db: Db, recordWrite: RecordWrite, payzero: PayzeroAsk | null = null): OrdersDeps {
  return { db, recordWrite, payzero };
}
