import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;

export function createDb(databaseUrl: string, max = 10): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000 });
  return new PrismaClient({ adapter });
}

/** Postgres out of reach (Prisma's P1xxx: cannot connect, timed out, closed) or no connection free in time (P2024). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  return (
    err instanceof Prisma.PrismaClientKnownRequestError &&
    (/^P1\d{3}$/.test(err.code) || err.code === "P2024")
  );
}
