import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;

export function createDb(databaseUrl: string, max = 10): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000 });
  return new PrismaClient({ adapter });
}
