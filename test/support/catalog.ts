// The database catalog as sorted lines ("column t.c type NOT NULL DEFAULT x", "index n ON t USING btree
// (c)", "foreign key n ON t (c) REFERENCES u (c) ON DELETE .. ON UPDATE .."), twice: what Postgres
// holds (pg_catalog), and what Prisma Migrate would create for prisma/schema.prisma. The schema is
// read by Prisma's own parser: @prisma/prisma-schema-wasm, byte for byte the wasm the prisma CLI
// bundles (node_modules/prisma/build/prisma_schema_build_bg.wasm; bump the two together), no native
// engine. The names, SQL types and defaults below are the ones Prisma Migrate
// gives PostgreSQL, for the part of the schema language this project uses; anything else throws.
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import type pg from "pg";

// The parts of Prisma's DMMF (datamodel) read here.
interface Field {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface Model {
  name: string;
  dbName: string | null;
  fields: Field[];
}
interface Index {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  dbName?: string;
  algorithm?: string;
  fields: Array<{ name: string; sortOrder?: "asc" | "desc" }>;
}
interface Datamodel {
  models: Model[];
  indexes: Index[];
  enums: unknown[];
}

export interface CatalogDiff {
  /** What the schema asks for and the database lacks. */
  missing: string[];
  /** What the database has and the schema does not ask for. */
  unexpected: string[];
}

export function diffCatalog(expected: string[], actual: string[]): CatalogDiff {
  return {
    missing: expected.filter((line) => !actual.includes(line)),
    unexpected: actual.filter((line) => !expected.includes(line)),
  };
}

// ---- What Prisma Migrate would create -----------------------------------------------------------

export function expectedCatalog(schema: string): string[] {
  // DMMF does not carry a relation's map: name; the default FK names below would then be wrong.
  if (/@relation\([^)]*\bmap\s*:/.test(schema)) throw new Error("@relation(map:) is not supported here");
  const dm = (JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schema }))) as { datamodel: Datamodel })
    .datamodel;
  if (dm.enums.length > 0) throw new Error("enums are not supported here");
  const lines = dm.models.flatMap((m) => m.fields.flatMap((f) => fieldLines(dm, m, f)));
  lines.push(...dm.indexes.map((index) => indexLine(dm, index)));
  return lines.sort();
}

const tableOf = (m: Model): string => m.dbName ?? m.name;
const columnOf = (f: Field): string => f.dbName ?? f.name;

function modelNamed(dm: Datamodel, name: string): Model {
  const model = dm.models.find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  return model;
}

function columnsOf(model: Model, fieldNames: string[]): string[] {
  return fieldNames.map((name) => {
    const field = model.fields.find((f) => f.name === name);
    if (!field) throw new Error(`no field ${model.name}.${name}`);
    return columnOf(field);
  });
}

/** Prisma's default constraint name: table_columns_suffix, cut to Postgres' 63 bytes. */
function prismaName(table: string, columns: string[], suffix: string): string {
  return `${[table, ...columns].join("_").slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

function fieldLines(dm: Datamodel, model: Model, field: Field): string[] {
  if (field.kind === "scalar") return [columnLine(model, field)];
  if (field.kind === "object")
    return field.relationFromFields?.length ? [foreignKeyLine(dm, model, field)] : [];
  throw new Error(`${model.name}.${field.name}: ${field.kind} fields are not supported here`);
}

function columnLine(model: Model, field: Field): string {
  const table = tableOf(model);
  const column = columnOf(field);
  // Scalar lists are nullable columns even when the field is required (Prisma Migrate does so).
  const notNull = field.isRequired && !field.isList ? " NOT NULL" : "";
  const def = columnDefault(table, column, field);
  return `column ${table}.${column} ${sqlType(field)}${notNull}${def === null ? "" : ` DEFAULT ${def}`}`;
}

// Prisma scalar type -> PostgreSQL type as format_type() prints it.
const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Boolean: "boolean",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Bytes: "bytea",
};
// @db.X(args) -> format_type(); `m` is "(args)" or "".
const NATIVE_TYPES: Record<string, (m: string) => string> = {
  Char: (m) => `character${m}`,
  VarChar: (m) => `character varying${m}`,
  Text: () => "text",
  Uuid: () => "uuid",
  Timestamptz: (m) => `timestamp${m} with time zone`,
  Timestamp: (m) => `timestamp${m} without time zone`,
};

function sqlType(field: Field): string {
  const [native, args] = field.nativeType ?? [];
  const type = native
    ? NATIVE_TYPES[native]?.(args?.length ? `(${args.join(",")})` : "")
    : SCALAR_TYPES[field.type];
  if (!type) throw new Error(`${field.name}: type ${native ?? field.type} is not supported here`);
  return field.isList ? `${type}[]` : type;
}

/** The default as pg_get_expr() prints it, or null for none. */
function columnDefault(table: string, column: string, field: Field): string | null {
  const d = field.default;
  if (d === undefined) return null;
  if (typeof d === "boolean" || (typeof d === "number" && d >= 0)) return String(d);
  if (typeof d === "string" && !field.isList && (field.type === "String" || field.type === "Json")) {
    const cast = field.type === "Json" ? "jsonb" : (sqlType(field).match(/^[a-z ]+/)?.[0] ?? "");
    return `'${d.replaceAll("'", "''")}'::${cast === "character" ? "bpchar" : cast}`;
  }
  if (Array.isArray(d) && d.length === 0 && field.isList) return `ARRAY[]::${sqlType(field)}`;
  const fn = d as { name?: string; args?: unknown[] };
  if (fn.name === "autoincrement") return `nextval('${table}_${column}_seq'::regclass)`;
  if (fn.name === "now") return "CURRENT_TIMESTAMP";
  if (fn.name === "dbgenerated" && typeof fn.args?.[0] === "string") return fn.args[0];
  throw new Error(`${table}.${column}: default ${JSON.stringify(d)} is not supported here`);
}

function indexLine(dm: Datamodel, index: Index): string {
  const model = modelNamed(dm, index.model);
  const table = tableOf(model);
  const columns = columnsOf(
    model,
    index.fields.map((f) => f.name),
  );
  const sorted = columns.map((c, i) => (index.fields[i]?.sortOrder === "desc" ? `${c} DESC` : c));
  const using = `USING ${(index.algorithm ?? "BTree").toLowerCase()} (${sorted.join(", ")})`;
  if (index.type === "id") return `primary key ${index.dbName ?? `${table}_pkey`} ON ${table} ${using}`;
  if (index.type === "unique") {
    return `unique index ${index.dbName ?? prismaName(table, columns, "key")} ON ${table} ${using}`;
  }
  if (index.type === "normal")
    return `index ${index.dbName ?? prismaName(table, columns, "idx")} ON ${table} ${using}`;
  throw new Error(`${index.model}: ${index.type} indexes are not supported here`);
}

const ACTIONS: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  NoAction: "NO ACTION",
  SetNull: "SET NULL",
  SetDefault: "SET DEFAULT",
};

function action(codes: Record<string, string>, code: string): string {
  const sql = codes[code];
  if (!sql) throw new Error(`unknown referential action ${code}`);
  return sql;
}

function foreignKeyLine(dm: Datamodel, model: Model, field: Field): string {
  const table = tableOf(model);
  const columns = columnsOf(model, field.relationFromFields ?? []);
  const target = modelNamed(dm, field.type);
  const refColumns = columnsOf(target, field.relationToFields ?? []);
  // Prisma's defaults: optional relation ON DELETE SET NULL, required RESTRICT; ON UPDATE CASCADE.
  const onDelete = action(ACTIONS, field.relationOnDelete ?? (field.isRequired ? "Restrict" : "SetNull"));
  const onUpdate = action(ACTIONS, field.relationOnUpdate ?? "Cascade");
  return foreignKey(prismaName(table, columns, "fkey"), table, columns, tableOf(target), refColumns, [
    onDelete,
    onUpdate,
  ]);
}

function foreignKey(
  name: string,
  table: string,
  columns: string[],
  refTable: string,
  refColumns: string[],
  [onDelete, onUpdate]: [string, string],
): string {
  return (
    `foreign key ${name} ON ${table} (${columns.join(", ")}) REFERENCES ${refTable} (${refColumns.join(", ")})` +
    ` ON DELETE ${onDelete} ON UPDATE ${onUpdate}`
  );
}

// ---- What the database holds --------------------------------------------------------------------

// Tables of the public schema, less the migration bookkeeping.
const TABLES = `t.relnamespace = 'public'::regnamespace AND t.relname <> '_prisma_migrations'`;

const COLUMNS = `
  SELECT t.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
    a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE ${TABLES} AND t.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;

// Key columns in order, " DESC" where descending, "(expression)" for an expression column.
const INDEXES = `
  SELECT i.relname AS name, t.relname AS table, x.indisunique AS unique, x.indisprimary AS primary,
    am.amname AS method, pg_get_expr(x.indpred, x.indrelid) AS predicate,
    ARRAY(SELECT coalesce(a.attname::text, '(expression)')
        || CASE WHEN x.indoption[k.i - 1] & 1 = 1 THEN ' DESC' ELSE '' END
      FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, i)
      LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.i) AS columns
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_am am ON am.oid = i.relam
  WHERE ${TABLES}`;

// Foreign keys, and any CHECK, EXCLUDE or trigger constraint (Prisma creates none of those).
const CONSTRAINTS = `
  SELECT c.conname AS name, c.contype AS type, t.relname AS table, r.relname AS ref_table,
    ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.i) AS columns,
    ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, i)
      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.i) AS ref_columns,
    c.confdeltype AS on_delete, c.confupdtype AS on_update, pg_get_constraintdef(c.oid) AS definition
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid LEFT JOIN pg_class r ON r.oid = c.confrelid
  WHERE ${TABLES} AND c.contype IN ('f', 'c', 'x', 't')`;

// pg_constraint.confdeltype / confupdtype codes.
const PG_ACTIONS: Record<string, string> = {
  a: "NO ACTION",
  r: "RESTRICT",
  c: "CASCADE",
  n: "SET NULL",
  d: "SET DEFAULT",
};

type Row = Record<string, string | boolean | string[] | null>;

export async function readCatalog(client: pg.ClientBase): Promise<string[]> {
  // One after the other: a pg client runs one query at a time.
  const columns = (await client.query<Row>(COLUMNS)).rows;
  const indexes = (await client.query<Row>(INDEXES)).rows;
  const constraints = (await client.query<Row>(CONSTRAINTS)).rows;
  return [
    ...columns.map(
      (r) =>
        `column ${r.table}.${r.column} ${r.type}${r.not_null ? " NOT NULL" : ""}` +
        `${r.default === null ? "" : ` DEFAULT ${r.default}`}`,
    ),
    ...indexes.map(actualIndexLine),
    ...constraints.map(actualConstraintLine),
  ].sort();
}

function actualIndexLine(r: Row): string {
  const kind = r.primary ? "primary key" : r.unique ? "unique index" : "index";
  const where = r.predicate === null ? "" : ` WHERE ${r.predicate}`;
  return `${kind} ${r.name} ON ${r.table} USING ${r.method} (${(r.columns as string[]).join(", ")})${where}`;
}

function actualConstraintLine(r: Row): string {
  if (r.type !== "f") return `constraint ${r.name} ON ${r.table} ${r.definition}`;
  const actions: [string, string] = [
    action(PG_ACTIONS, String(r.on_delete)),
    action(PG_ACTIONS, String(r.on_update)),
  ];
  const refColumns = r.ref_columns as string[];
  return foreignKey(
    String(r.name),
    String(r.table),
    r.columns as string[],
    String(r.ref_table),
    refColumns,
    actions,
  );
}
