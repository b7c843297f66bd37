// The seam between applying a notification (orders) and forwarding it (webhooks).
import type { Prisma } from "../generated/prisma/client.js";

export interface StoredNotification {
  id: bigint;
  msgType: string;
}

export interface FanOut {
  /** Inside the transaction that stored the notification: insert the outbox rows, return their ids. */
  inTransaction(tx: Prisma.TransactionClient, notification: StoredNotification): Promise<bigint[]>;
  /** After commit: enqueue delivery jobs for those rows (a lost enqueue is repaired by the relay). */
  afterCommit(deliveryIds: bigint[]): Promise<void>;
}

export const noFanOut: FanOut = {
  inTransaction: async () => [],
  afterCommit: async () => {},
};
