// A Postgres table locked by the test: the service's writes to it wait, each in its transaction, so a
// worker holds its job mid-apply for as long as the test wants (a crash or a stop lands there).
import { createDb, type Db } from "../../src/db/client.js";

export interface TableLock {
  /** True once a transaction of another connection waits for the lock. */
  waiters: (db: Db) => Promise<boolean>;
  release: () => Promise<void>;
}

/** Takes `table` in EXCLUSIVE mode (reads go on, writes wait) in a transaction of its own until release(). */
export async function lockTable(url: string, table: string): Promise<TableLock> {
  const lockDb = createDb(url, 1);
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let taken = () => {};
  const isTaken = new Promise<void>((resolve) => {
    taken = resolve;
  });
  const held = lockDb.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
      taken();
      await released;
    },
    { maxWait: 10_000, timeout: 120_000 },
  );
  await Promise.race([isTaken, held]);
  return {
    waiters: async (db) => {
      const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE relation = '${table}'::regclass AND NOT granted`,
      );
      return (row?.n ?? 0) > 0;
    },
    release: async () => {
      release();
      await held;
      await lockDb.$disconnect();
    },
  };
}
