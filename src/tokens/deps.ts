// What the API token operations need, built once per door (api/app.ts, cli/run.ts).
import type { RecordWrite } from "../audit/record.js";
import type { Db } from "../db/client.js";

export interface TokensDeps {
  db: Db;
  /** Where creations and revocations are recorded (never the token's value). */
  recordWrite: RecordWrite;
  now: () => Date;
}

export function tokensDeps(db: Db, recordWrite: RecordWrite, now = () => new Date()): TokensDeps {
  return { db, recordWrite, now };
}
