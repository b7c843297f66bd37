// Database destinations (postgres.ts, mysql.ts share this): one bounded pool per server, database and
// credentials per process, its sockets held to the address rule as they connect; the tables made if
// missing and checked once per process (again after a failed send), and each delivery one transaction
// in the merchant's database (the driver's `deliver`).
import { Socket } from "node:net";
import type { Logger } from "pino";
import { throttledLog } from "../../ops/log-throttle.js";
import {
  type DestinationPolicy,
  guardedLookup,
  literalProblem,
  refusedError,
} from "../endpoints/address-rule.js";
import { type DatabaseTarget, databaseTarget } from "./database-url.js";
import {
  createTablesDdl,
  type DatabaseEvent,
  databaseEvent,
  EVENT_COLUMNS,
  type ExistingColumn,
  eventsTable,
  orderColumns,
  tableProblem,
} from "./order-row.js";
import {
  closeAll,
  describeError,
  type OutgoingMessage,
  type Publisher,
  publishOutcome,
} from "./publisher.js";

/** Connections a pool opens at most (per destination and process), and how long one may stay idle. */
const POOL_MAX = 4;
export const POOL_IDLE_MS = 30_000;

/** What one delivery's transaction came to. */
export type Delivered =
  | "duplicate" // the webhook-id was in the inbox already: nothing done
  | "inbox" // stored in the inbox; not an order event
  | "applied" // stored, and the order row written
  | "older"; // stored; the order row holds this version or a later one already

interface TableShape {
  columns: ExistingColumn[];
  primaryKey: string[];
}

export interface DatabasePool {
  describe(table: string): Promise<TableShape>;
  execute(sql: string): Promise<void>;
  deliver(target: DatabaseTarget, event: DatabaseEvent, payload: string): Promise<Delivered>;
  end(): Promise<void>;
}

export interface DatabaseDriver {
  name: string;
  /** `connect`: a socket connecting to host:port under the address rule. */
  open(
    target: DatabaseTarget,
    options: { max: number; timeoutMs: number; connect: () => Socket },
    onError: (err: unknown) => void,
  ): DatabasePool;
}

/**
 * A socket whose connect is held to the address rule: an IP literal refused at once, a name checked
 * by the lookup on every address it resolves to, right before connecting (as for HTTP and AMQP).
 */
function guardedSocket(policy: DestinationPolicy | undefined, host: string, port: number): Socket {
  const socket = new Socket();
  if (!policy) return socket;
  const connect = socket.connect.bind(socket) as (options: object) => Socket;
  const refused = literalProblem(policy, host, port);
  // The drivers call connect(port, host) or connect({ port, host }): both become the guarded form.
  socket.connect = ((..._args: unknown[]) => {
    if (refused) {
      process.nextTick(() => socket.destroy(refusedError(refused)));
      return socket;
    }
    return connect({ port, host, lookup: guardedLookup(policy, port) });
  }) as Socket["connect"];
  return socket;
}

/** Makes both tables if they do not exist, then checks that they fit: the problem, or undefined. */
async function prepareTables(pool: DatabasePool, kind: DatabaseTarget["kind"], target: DatabaseTarget) {
  for (const ddl of createTablesDdl(kind, target.table)) await pool.execute(ddl);
  const [orders, events] = await Promise.all([
    pool.describe(target.table),
    pool.describe(eventsTable(target.table)),
  ]);
  return (
    tableProblem(target.table, orderColumns(target.personalData), orders.columns, orders.primaryKey) ??
    tableProblem(eventsTable(target.table), EVENT_COLUMNS, events.columns, events.primaryKey)
  );
}

function excerpt(target: DatabaseTarget, delivered: Delivered, event: DatabaseEvent): string {
  const inbox = eventsTable(target.table);
  switch (delivered) {
    case "duplicate":
      return `webhook-id already in ${inbox}: nothing done`;
    case "inbox":
      return `stored in ${inbox} (not an order event)`;
    case "applied":
      return `stored in ${inbox}; ${target.table} row now at version ${event.order?.version}`;
    case "older":
      return `stored in ${inbox}; ${target.table} holds version ${event.order?.version} or later already: row unchanged`;
  }
}

export function createDatabasePublisher(
  driver: DatabaseDriver,
  log?: Logger,
  policy?: DestinationPolicy,
): Publisher {
  const pools = new Map<string, Promise<DatabasePool>>();
  /** Tables made and checked, by pool and table. */
  const prepared = new Map<string, Promise<void>>();
  const noisy = log && throttledLog(log);

  function poolFor(target: DatabaseTarget, timeoutMs: number): Promise<DatabasePool> {
    let pool = pools.get(target.connectionKey);
    if (!pool) {
      pool = Promise.resolve(
        driver.open(
          target,
          { max: POOL_MAX, timeoutMs, connect: () => guardedSocket(policy, target.host, target.port) },
          (err) => noisy?.warn({ err }, `${driver.name} destination connection error`),
        ),
      );
      pools.set(target.connectionKey, pool);
    }
    return pool;
  }

  function tablesFor(pool: DatabasePool, target: DatabaseTarget): Promise<void> {
    const key = JSON.stringify([target.connectionKey, target.table, target.personalData]);
    let ready = prepared.get(key);
    if (!ready) {
      ready = prepareTables(pool, target.kind, target).then((problem) => {
        if (problem) throw new Error(problem);
      });
      prepared.set(key, ready);
      // Checked again by the next attempt: the merchant may have fixed the table meanwhile.
      ready.catch(() => prepared.delete(key));
    }
    return ready;
  }

  async function deliver(url: string, message: OutgoingMessage, timeoutMs: number): Promise<string> {
    const target = databaseTarget(url);
    const webhookId = message.headers["webhook-id"] ?? "";
    const event = databaseEvent(webhookId, message.type, message.body, target.personalData);
    const pool = await poolFor(target, timeoutMs);
    await tablesFor(pool, target);
    try {
      return excerpt(target, await pool.deliver(target, event, message.body), event);
    } catch (err) {
      // A column dropped or changed since the check says so on the next attempt.
      prepared.delete(JSON.stringify([target.connectionKey, target.table, target.personalData]));
      throw err;
    }
  }

  return {
    send(url, message, timeoutMs) {
      return publishOutcome(
        () => deliver(url, message, timeoutMs),
        timeoutMs,
        (err) => `${driver.name}: ${describeError(err, timeoutMs)}`,
      );
    },
    async close() {
      prepared.clear();
      await closeAll(
        pools,
        (pool) => pool.end(),
        (err) => log?.warn({ err }, `${driver.name} destination close`),
      );
    },
  };
}

/**
 * At save: connects once (a pool of one, closed after), makes the tables if missing and checks that
 * they fit. The problem, or undefined.
 */
export async function databaseUrlCheck(
  driver: DatabaseDriver,
  url: string,
  policy: DestinationPolicy,
  timeoutMs: number,
): Promise<string | undefined> {
  const target = databaseTarget(url);
  const pool = driver.open(
    target,
    { max: 1, timeoutMs, connect: () => guardedSocket(policy, target.host, target.port) },
    () => {},
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timeout after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const problem = await Promise.race([
      prepareTables(pool, target.kind, target).catch((err: unknown) => describeError(err, timeoutMs)),
      timeout,
    ]);
    return problem && `url: ${driver.name} destination: ${problem}`;
  } finally {
    clearTimeout(timer);
    await pool.end().catch(() => undefined);
  }
}
