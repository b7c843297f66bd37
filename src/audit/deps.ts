// What the audit operations need, built once per process (api/app.ts, cli/run.ts) with the same sink
// the other domains record their writes with.
import type { Db } from "../db/client.js";
import type { RecordWrite } from "./record.js";

export interface AuditDeps {
  db: Db;
  /** The sink: what the console's sign-in records through. */
  recordWrite: RecordWrite;
}

export function auditDeps(db: Db, recordWrite: RecordWrite): AuditDeps {
  return { db, recordWrite };
}
