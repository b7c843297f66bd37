// Postgres destinations (database.ts does the rest): a pg pool per destination, and one delivery as
// one transaction: the event into the inbox (a webhook-id there already ends it), then the order row
// upserted only where the stored version is lower.
import pg from "pg";
import type { Logger } from "pino";
import type { DestinationPolicy } from "../endpoints/address-rule.js";
import {
  createDatabasePublisher,
  type DatabaseDriver,
  type DatabasePool,
  type Delivered,
  POOL_IDLE_MS,
} from "./database.js";
import { eventsTable, type OrderRow, quoteIdentifier } from "./order-row.js";
import type { Publisher } from "./publisher.js";

const q = (name: string) => quoteIdentifier("postgres", name);

/** The order upsert: written only over a lower version. Column names come from order-row.ts, never from input. */
function upsertSql(table: string, row: OrderRow): string {
  const names = Object.keys(row);
  const set = names.filter((n) => n !== "mcht_order_no").map((n) => `${q(n)} = EXCLUDED.${q(n)}`);
  return `INSERT INTO ${q(table)} (${names.map(q).join(", ")})
    VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")})
    ON CONFLICT (mcht_order_no) DO UPDATE SET ${set.join(", ")}
    WHERE ${q(table)}.version < EXCLUDED.version`;
}

export const postgresDriver: DatabaseDriver = {
  name: "Postgres",
  open(target, { max, timeoutMs, connect }, onError): DatabasePool {
    const pool = new pg.Pool({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      ...(target.ssl && { ssl: {} }),
      max,
      idleTimeoutMillis: POOL_IDLE_MS,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      application_name: "payzero-notify",
      stream: connect,
    });
    // An idle connection the server ends (a restart, pg_terminate_backend) is dropped from the pool; one
    // ended while in use fails its query, and its 'error' event must not be an uncaught exception.
    pool.on("error", onError);
    pool.on("connect", (client) => client.on("error", onError));
    return {
      async describe(table) {
        const columns = await pool.query<{
          name: string;
          dataType: string;
          nullable: boolean;
          hasDefault: boolean;
          generated: boolean;
        }>(
          `SELECT column_name AS name, lower(data_type) AS "dataType", is_nullable = 'YES' AS nullable,
                  column_default IS NOT NULL AS "hasDefault",
                  (is_identity = 'YES' OR is_generated = 'ALWAYS') AS generated
             FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1`,
          [table],
        );
        const key = await pool.query<{ name: string }>(
          `SELECT a.attname AS name
             FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indisprimary AND i.indrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1))`,
          [table],
        );
        return { columns: columns.rows, primaryKey: key.rows.map((r) => r.name) };
      },
      async execute(sql) {
        await pool.query(sql);
      },
      async deliver(target, event, payload): Promise<Delivered> {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          await client.query("BEGIN");
          const stored = await client.query(
            `INSERT INTO ${q(eventsTable(target.table))} (webhook_id, type, payload, received_at)
             VALUES ($1, $2, $3::jsonb, now()) ON CONFLICT (webhook_id) DO NOTHING`,
            [event.webhookId, event.type, payload],
          );
          let delivered: Delivered = "inbox";
          if (stored.rowCount === 0) delivered = "duplicate";
          else if (event.order) {
            const written = await client.query(
              upsertSql(target.table, event.order),
              Object.values(event.order),
            );
            delivered = written.rowCount === 1 ? "applied" : "older";
          }
          await client.query(delivered === "duplicate" ? "ROLLBACK" : "COMMIT");
          return delivered;
        } catch (err) {
          broken = err instanceof Error ? err : new Error(String(err));
          await client.query("ROLLBACK").catch(() => undefined);
          throw err;
        } finally {
          // A connection that failed mid-transaction is closed rather than reused.
          client.release(broken);
        }
      },
      end: () => pool.end(),
    };
  },
};

export function createPostgresPublisher(log?: Logger, policy?: DestinationPolicy): Publisher {
  return createDatabasePublisher(postgresDriver, log, policy);
}
