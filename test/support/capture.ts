// A Db whose every statement is recorded on its way to Postgres: the SQL text and the parameters
// exactly as the Prisma adapter hands them to `pg`, so a test can replay them under EXPLAIN.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Db } from "../../src/db/client.js";
import { PrismaClient } from "../../src/generated/prisma/client.js";

export interface Statement {
  text: string;
  values: unknown[];
}

export interface CapturingDb {
  db: Db;
  /** The statements sent since the last take(), oldest first. */
  take: () => Statement[];
}

type Query = (...args: unknown[]) => unknown;

function recorded(args: unknown[]): Statement | null {
  const [first, second] = args;
  if (typeof first === "string") return { text: first, values: Array.isArray(second) ? second : [] };
  if (first !== null && typeof first === "object" && "text" in first && typeof first.text === "string") {
    const values = "values" in first && Array.isArray(first.values) ? first.values : [];
    return { text: first.text, values };
  }
  return null;
}

/** The same client as createDb (src/db/client.ts) builds, over a pool whose connections record. */
export function capturingDb(databaseUrl: string, max = 4): CapturingDb {
  let statements: Statement[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on("connect", (client) => {
    // Every query of this connection, pooled or in a transaction, goes through client.query.
    const target = client as unknown as { query: Query };
    const original = target.query.bind(client) as Query;
    target.query = (...args: unknown[]) => {
      const statement = recorded(args);
      if (statement) statements.push(statement);
      return original(...args);
    };
  });
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  return {
    db,
    take: () => {
      const taken = statements;
      statements = [];
      return taken;
    },
  };
}
