import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;

export function createDb(databaseUrl: string, max = 10): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000 });
  return new PrismaClient({ adapter });
}

/** The readiness probe's question: does Postgres answer? */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "EPIPE"]);

/**
 * Postgres out of reach, as opposed to a statement that failed: Prisma's P1xxx (cannot connect,
 * timed out, closed) and P2024 (no connection free in time), a socket error, Postgres refusing
 * connections (SQLSTATE 08xxx, 57P01-57P03, 53300), or pg's own messages for a connection lost or
 * never made (pg gives those no code). Follows `cause`, where a driver error may be wrapped.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 4) return false;
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  const code = (err as { code?: unknown }).code;
  if (
    err instanceof Prisma.PrismaClientKnownRequestError &&
    (/^P1\d{3}$/.test(err.code) || err.code === "P2024")
  )
    return true;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || /^(08|57P0[123]$|53300$)/.test(code)))
    return true;
  if (/^Connection terminated|timeout exceeded when trying to connect/.test(err.message)) return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}
