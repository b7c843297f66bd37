// MySQL 8 and MariaDB 10.11 destinations (database.ts does the rest): a mysql2 pool per destination,
// and one delivery as one transaction: the event into the inbox (a webhook-id there already ends it),
// then the order row upserted, its columns changed only where the stored version is lower.
import { createPool, type PoolConnection, type ResultSetHeader, type RowDataPacket } from "mysql2/promise";
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

const q = (name: string) => quoteIdentifier("mysql", name);

/**
 * The order upsert. MySQL has no conditional ON DUPLICATE KEY UPDATE: each column keeps its value
 * unless the new version is higher, and version is assigned last (assignments see the ones before).
 * VALUES() rather than MySQL 8's row alias, which MariaDB lacks. Column names come from order-row.ts.
 */
function upsertSql(table: string, row: OrderRow): string {
  const names = Object.keys(row);
  const set = names
    .filter((n) => n !== "mcht_order_no" && n !== "version")
    .map((n) => `${q(n)} = IF(${q("version")} < VALUES(${q("version")}), VALUES(${q(n)}), ${q(n)})`);
  set.push(`${q("version")} = GREATEST(${q("version")}, VALUES(${q("version")}))`);
  return `INSERT INTO ${q(table)} (${names.map(q).join(", ")}) VALUES (${names.map(() => "?").join(", ")})
    ON DUPLICATE KEY UPDATE ${set.join(", ")}`;
}

export const mysqlDriver: DatabaseDriver = {
  name: "MySQL",
  open(target, { max, timeoutMs, connect }, onError): DatabasePool {
    const pool = createPool({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      ...(target.ssl && { ssl: {} }),
      connectionLimit: max,
      maxIdle: max,
      idleTimeout: POOL_IDLE_MS,
      connectTimeout: timeoutMs,
      // DATETIME holds UTC; affected rows count changed rows only (a duplicate or older event: 0).
      timezone: "Z",
      flags: ["-FOUND_ROWS"],
      // mysql2 uses the socket as given: it is connected here (pg connects its own).
      stream: () => connect().connect(target.port, target.host),
    });
    // A connection the server kills errors once the pool has dropped it: logged, never a crash.
    pool.pool.on("connection", (c) => c.on("error", onError));
    return {
      async describe(table) {
        const [columns] = await pool.query<RowDataPacket[]>(
          `SELECT column_name AS name, lower(data_type) AS dataType, is_nullable = 'YES' AS nullable,
                  column_default IS NOT NULL AS hasDefault,
                  (extra LIKE '%auto_increment%' OR extra LIKE '%GENERATED%') AS \`generated\`
             FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?`,
          [table],
        );
        const [key] = await pool.query<RowDataPacket[]>(
          `SELECT column_name AS name FROM information_schema.key_column_usage
            WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY'
            ORDER BY ordinal_position`,
          [table],
        );
        return {
          columns: columns.map((c) => ({
            name: String(c.name),
            dataType: String(c.dataType),
            nullable: Boolean(Number(c.nullable)),
            hasDefault: Boolean(Number(c.hasDefault)),
            generated: Boolean(Number(c.generated)),
          })),
          primaryKey: key.map((k) => String(k.name)),
        };
      },
      async execute(sql) {
        await pool.query(sql);
      },
      async deliver(target, event, payload): Promise<Delivered> {
        const conn: PoolConnection = await pool.getConnection();
        let broken = false;
        try {
          await conn.beginTransaction();
          const [stored] = await conn.query<ResultSetHeader>(
            `INSERT INTO ${q(eventsTable(target.table))} (webhook_id, type, payload, received_at)
             VALUES (?, ?, ?, UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE webhook_id = webhook_id`,
            [event.webhookId, event.type, payload],
          );
          let delivered: Delivered = "inbox";
          if (stored.affectedRows === 0) delivered = "duplicate";
          else if (event.order) {
            const [written] = await conn.query<ResultSetHeader>(
              upsertSql(target.table, event.order),
              Object.values(event.order),
            );
            // 1: inserted, 2: updated, 0: left as it was.
            delivered = written.affectedRows > 0 ? "applied" : "older";
          }
          if (delivered === "duplicate") await conn.rollback();
          else await conn.commit();
          return delivered;
        } catch (err) {
          broken = true;
          await conn.rollback().catch(() => undefined);
          throw err;
        } finally {
          // A connection that failed mid-transaction is closed rather than reused.
          if (broken) conn.destroy();
          else conn.release();
        }
      },
      end: () => pool.end(),
    };
  },
};

export function createMysqlPublisher(log?: Logger, policy?: DestinationPolicy): Publisher {
  return createDatabasePublisher(mysqlDriver, log, policy);
}
