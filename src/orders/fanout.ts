// The seam between applying a notification (orders) and forwarding it (webhooks).
import type { Prisma } from "../generated/prisma/client.js";

export interface StoredNotification {
  id: bigint;
  msgType: string;
}

export interface FanOut {
  /** Inside the transaction that stored the notifications: insert their outbox rows, return the ids. */
  inTransaction(tx: Prisma.TransactionClient, notifications: StoredNotification[]): Promise<bigint[]>;
  /** After commit: enqueue delivery jobs for those rows (a lost enqueue is repaired by the relay). */
  afterCommit(deliveryIds: bigint[]): Promise<void>;
}

export const noFanOut: FanOut = {
  inTransaction: async () => [],
  afterCommit: async () => {},
};
