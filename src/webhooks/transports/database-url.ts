// Database endpoint URLs (postgres://, postgresql://: Postgres; mysql://: MySQL 8 and MariaDB 10.11):
// their checks, and what a send needs of them: the connection (shared by every endpoint with the same
// server, database and credentials), the table, and whether payer fields are kept. Pure.

export type DatabaseKind = "postgres" | "mysql";

/** Letters, digits and _, starting with a letter or _; short enough for "<table>_events" in both (64 bytes in MySQL). */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,55}$/;
const PARAMS = new Set(["table", "personalData", "ssl"]);

export interface DatabaseTarget {
  kind: DatabaseKind;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The orders table; the inbox is `${table}_events`. */
  table: string;
  /** Whether the payer's name, number and phone are kept. */
  personalData: boolean;
  /** TLS, the server's certificate verified (ssl=true). */
  ssl: boolean;
  /** The pool's identity: server, database and credentials. */
  connectionKey: string;
}

const DEFAULT_DATABASE_PORTS: Record<DatabaseKind, number> = { postgres: 5432, mysql: 3306 };

export function databaseKind(scheme: string): DatabaseKind | undefined {
  if (scheme === "postgres" || scheme === "postgresql") return "postgres";
  if (scheme === "mysql") return "mysql";
  return undefined;
}

/** The problem of a database endpoint URL, or undefined. */
export function databaseUrlProblem(url: URL): string | undefined {
  const name = url.protocol.slice(0, -1);
  const unknown = [...url.searchParams.keys()].find((k) => !PARAMS.has(k));
  if (unknown !== undefined)
    return `${name} url: unknown parameter "${unknown}" (known: table, personalData, ssl)`;
  if (url.hostname === "") return `${name} url needs a host`;
  if (url.username === "") return `${name} url needs a user (${name}://user:password@host/database?table=…)`;
  const database = decodeURIComponent(url.pathname.slice(1));
  if (database === "" || database.includes("/"))
    return `${name} url needs the database as its path's one segment (${name}://user:password@host/database?table=…)`;
  const tables = url.searchParams.getAll("table");
  if (tables.length !== 1 || tables[0] === "") return `${name} url needs ?table=<name> (give it once)`;
  if (!TABLE_NAME.test(tables[0] as string))
    return `${name} url: table must be letters, digits and _ (not starting with a digit), at most 56 characters`;
  const personal = url.searchParams.getAll("personalData");
  if (personal.length > 1 || (personal.length === 1 && personal[0] !== "true" && personal[0] !== "false"))
    return `${name} url: personalData is true or false (given once)`;
  const ssl = url.searchParams.getAll("ssl");
  if (ssl.length > 1 || (ssl.length === 1 && ssl[0] !== "true" && ssl[0] !== "false"))
    return `${name} url: ssl is true or false (given once)`;
  return undefined;
}

export function databaseTarget(url: string): DatabaseTarget {
  const parsed = new URL(url);
  const kind = databaseKind(parsed.protocol.slice(0, -1)) ?? "postgres";
  const host = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port === "" ? DEFAULT_DATABASE_PORTS[kind] : Number(parsed.port);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  const ssl = parsed.searchParams.get("ssl") === "true";
  return {
    kind,
    host,
    port,
    user,
    password,
    database,
    table: parsed.searchParams.get("table") ?? "",
    personalData: parsed.searchParams.get("personalData") === "true",
    ssl,
    connectionKey: JSON.stringify([kind, host, port, user, password, database, ssl]),
  };
}
