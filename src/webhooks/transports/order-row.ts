// What a database destination keeps (postgres.ts, mysql.ts): the order row an event carries, the two
// tables' columns, their DDL in each dialect, and whether an existing table fits. Pure.
import type { DatabaseKind } from "./database-url.js";

/** A column's kind: what the merchant's column type must be able to hold. */
type ColumnKind = "text" | "integer" | "time" | "json";

interface Column {
  name: string;
  kind: ColumnKind;
  /** Part of the table's primary key (alone). */
  key?: boolean;
  /** Kept only for endpoints with personalData=true. */
  personal?: boolean;
  /** NOT NULL. */
  required?: boolean;
}

/** The orders table: one row per order, its latest state. */
const ORDER_COLUMNS: readonly Column[] = [
  { name: "mcht_order_no", kind: "text", key: true, required: true },
  { name: "pay_status", kind: "text" },
  { name: "pay_status_at", kind: "integer" },
  { name: "declare_status", kind: "text" },
  { name: "declare_status_at", kind: "integer" },
  { name: "declare_fail_reason", kind: "text" },
  { name: "payment_amount", kind: "integer" },
  { name: "payment_order_no", kind: "text" },
  { name: "payer_name", kind: "text", personal: true },
  { name: "payer_number", kind: "text", personal: true },
  { name: "payer_phone", kind: "text", personal: true },
  { name: "version", kind: "integer", required: true },
  { name: "updated_at", kind: "time", required: true },
];

/** The inbox: one row per webhook-id received. */
export const EVENT_COLUMNS: readonly Column[] = [
  { name: "webhook_id", kind: "text", key: true, required: true },
  { name: "type", kind: "text", required: true },
  { name: "payload", kind: "json", required: true },
  { name: "received_at", kind: "time", required: true },
];

export const eventsTable = (table: string) => `${table}_events`;

/** The order columns an endpoint writes. */
export function orderColumns(personalData: boolean): readonly Column[] {
  return ORDER_COLUMNS.filter((c) => personalData || !c.personal);
}

/** An order row's values by column name (amounts and Payzero times in ms as numbers, updated_at a Date). */
export type OrderRow = Record<string, string | number | Date | null>;

/** The event's type, and its order row when it is an order event (the order after it, with its version). */
export interface DatabaseEvent {
  webhookId: string;
  type: string;
  order: OrderRow | null;
}

const text = (v: unknown) => (typeof v === "string" ? v : null);
const int = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * The event a signed message carries. Events without an order (a refund, a test event) go to the inbox
 * only; so does one whose order has no version or number (never the case for order events).
 */
export function databaseEvent(
  webhookId: string,
  type: string,
  body: string,
  personalData: boolean,
): DatabaseEvent {
  const payload = JSON.parse(body) as { order?: unknown };
  const o = payload.order;
  if (o === null || typeof o !== "object") return { webhookId, type, order: null };
  const order = o as Record<string, unknown>;
  const mchtOrderNo = text(order.mchtOrderNo);
  const version = int(order.version);
  const updatedAt = text(order.updatedAt);
  if (mchtOrderNo === null || version === null || updatedAt === null) return { webhookId, type, order: null };
  const row: OrderRow = {
    mcht_order_no: mchtOrderNo,
    pay_status: text(order.payStatus),
    pay_status_at: int(order.payStatusAt),
    declare_status: text(order.declareStatus),
    declare_status_at: int(order.declareStatusAt),
    declare_fail_reason: text(order.declareFailReason),
    payment_amount: int(order.paymentAmount),
    payment_order_no: text(order.paymentOrderNo),
    ...(personalData && {
      payer_name: text(order.payerName),
      payer_number: text(order.payerNumber),
      payer_phone: text(order.payerPhone),
    }),
    version,
    updated_at: new Date(updatedAt),
  };
  return { webhookId, type, order: row };
}

const TYPES: Record<DatabaseKind, Record<ColumnKind, string>> = {
  postgres: { text: "text", integer: "bigint", time: "timestamptz", json: "jsonb" },
  mysql: { text: "varchar(191)", integer: "bigint", time: "datetime(3)", json: "json" },
};

/** Longer texts in MySQL (a varchar key is limited; a fail reason or payload is not). */
const MYSQL_LONG = new Set(["declare_fail_reason"]);

function columnDdl(kind: DatabaseKind, c: Column, quote: (name: string) => string): string {
  const type = kind === "mysql" && MYSQL_LONG.has(c.name) ? "text" : TYPES[kind][c.kind];
  const defaultNow =
    c.name === "received_at"
      ? kind === "postgres"
        ? " DEFAULT now()"
        : " DEFAULT CURRENT_TIMESTAMP(3)"
      : "";
  return `${quote(c.name)} ${type}${c.required ? " NOT NULL" : ""}${defaultNow}`;
}

export function quoteIdentifier(kind: DatabaseKind, name: string): string {
  return kind === "postgres" ? `"${name}"` : `\`${name}\``;
}

/** CREATE TABLE IF NOT EXISTS for both tables (the orders table with every column, payer fields included). */
export function createTablesDdl(kind: DatabaseKind, table: string): string[] {
  const quote = (name: string) => quoteIdentifier(kind, name);
  const create = (name: string, columns: readonly Column[]) => {
    const key = columns.find((c) => c.key)?.name ?? "";
    const suffix = kind === "mysql" ? " DEFAULT CHARSET=utf8mb4" : "";
    return `CREATE TABLE IF NOT EXISTS ${quote(name)} (\n  ${columns
      .map((c) => columnDdl(kind, c, quote))
      .join(",\n  ")},\n  PRIMARY KEY (${quote(key)})\n)${suffix}`;
  };
  return [create(table, ORDER_COLUMNS), create(eventsTable(table), EVENT_COLUMNS)];
}

/** A column as information_schema.columns describes it (names and types in lower case). */
export interface ExistingColumn {
  name: string;
  dataType: string;
  nullable: boolean;
  hasDefault: boolean;
  /** Filled by the database itself (identity, auto_increment, generated). */
  generated: boolean;
}

const FITTING: Record<ColumnKind, readonly string[]> = {
  text: [
    "text",
    "character varying",
    "character",
    "varchar",
    "char",
    "tinytext",
    "mediumtext",
    "longtext",
    "citext",
  ],
  integer: ["bigint", "numeric", "decimal"],
  time: ["timestamp with time zone", "timestamp without time zone", "datetime", "timestamp"],
  // MariaDB's JSON is longtext with a check.
  json: ["jsonb", "json", "text", "longtext"],
};

/**
 * Why a table does not fit the columns an endpoint writes, or undefined: a column missing or of a type
 * that cannot hold the values, a primary key other than the key column alone, or a NOT NULL column
 * without a default that the service would not fill.
 */
export function tableProblem(
  table: string,
  wanted: readonly Column[],
  existing: readonly ExistingColumn[],
  primaryKey: readonly string[],
): string | undefined {
  if (existing.length === 0) return `table ${table} does not exist`;
  const byName = new Map(existing.map((c) => [c.name, c]));
  for (const c of wanted) {
    const found = byName.get(c.name);
    if (!found) return `table ${table} has no column ${c.name} (see the DDL in docs/webhooks.md)`;
    if (!FITTING[c.kind].includes(found.dataType))
      return `table ${table}: column ${c.name} is ${found.dataType}, which cannot hold ${c.kind === "integer" ? "a 64-bit integer (bigint)" : c.kind} values`;
  }
  const key = wanted.find((c) => c.key)?.name;
  if (primaryKey.length !== 1 || primaryKey[0] !== key)
    return `table ${table}: its primary key must be (${key}) alone, not (${primaryKey.join(", ")})`;
  const names = new Set(wanted.map((c) => c.name));
  const unfilled = existing.find((c) => !names.has(c.name) && !c.nullable && !c.hasDefault && !c.generated);
  if (unfilled)
    return `table ${table}: column ${unfilled.name} is NOT NULL without a default, and the service does not fill it`;
  return undefined;
}
