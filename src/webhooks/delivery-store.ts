// The attempts running at once in a process share their statements: loads, claims and records
// are each batched (group commit), so a burst costs a few statements per batch, not per attempt.

import { type BatcherOptions, createBatcher } from "../db/batch.js";
import type { Db } from "../db/client.js";
import {
  type AttemptRecord,
  type Claim,
  claimAttempts,
  type LoadedDelivery,
  loadDeliveries,
  recordAttempts,
} from "./store.js";

export interface DeliveryStore {
  load(id: bigint): Promise<LoadedDelivery | null>;
  /** Whether this claim won the row for its next attempt. */
  claim(claim: Claim): Promise<boolean>;
  record(record: AttemptRecord): Promise<void>;
}

export function createDeliveryStore(
  db: Db,
  opts: BatcherOptions = { maxSize: 32, maxInFlight: 2 },
): DeliveryStore {
  return {
    load: createBatcher(async (ids: bigint[]) => {
      const rows = await loadDeliveries(db, ids);
      return ids.map((id) => rows.get(id) ?? null);
    }, opts),
    claim: createBatcher((claims: Claim[]) => claimAttempts(db, claims), opts),
    record: createBatcher(async (records: AttemptRecord[]) => {
      await recordAttempts(db, records);
      return records.map(() => undefined);
    }, opts),
  };
}
