// What the orders operations need, built once per process by ordersDeps: the api role's app, the
// console (the same object) and the CLI all call the same factory.
import type { RecordWrite } from "../audit/record.js";
import type { Db } from "../db/client.js";

export interface OrdersDeps {
  db: Db;
  /** Where a write (expect, replay) is recorded: the audit seam of src/audit.ts. */
  recordWrite: RecordWrite;
}

export function ordersDeps(db: Db, recordWrite: RecordWrite): OrdersDeps {
  return { db, recordWrite };
}
