// A notification through the orders stage: as it comes in (from the queue or the reconciler), as
// stored, and the seam (FanOut) between applying it and forwarding it (webhooks).
import type { Prisma } from "../generated/prisma/client.js";

/** A notification to apply. */
export interface IncomingNotification {
  msgType: string;
  /** Payzero's, ms since the epoch. */
  timestamp: bigint;
  msgBody: string;
  receivedAt: Date;
  source: "payzero-notify" | "payzero-query";
  /**
   * Payzero's sign, verified (by the receiver, and again by the worker): the message's identity derives
   * from it (payzero/envelope.ts signedKey). Absent for the reconciler's answers and old unsigned jobs.
   */
  sign?: string | null;
  /** W3C traceparent of the span applying it, while tracing is on: its delivery attempts continue it. */
  traceparent?: string | null;
}

/** A notification as stored by this transaction: what a delivery of it is built from. */
export interface StoredNotification {
  id: bigint;
  contentKey: string;
  msgType: string;
  timestamp: bigint;
  msgBody: string;
  source: string;
  /** The order's state right after this message (null when not about an order). */
  orderAfter: unknown;
  /** The notification's trace, while tracing is on (src/ops/tracing.ts). */
  traceparent?: string | null;
}

/**
 * `Outbox` is whatever the webhook stage needs to dispatch the rows it wrote, opaque to orders.
 * Method syntax on purpose: a FanOut of the webhook stage's own row type is a FanOut here.
 */
export interface FanOut<Outbox = unknown> {
  /** Inside the transaction that stored the notifications: insert their delivery rows. */
  inTransaction(tx: Prisma.TransactionClient, notifications: StoredNotification[]): Promise<Outbox>;
  /** After commit: hand the rows to this process's dispatcher (never throws; rows not sent are claimed later). */
  afterCommit(outbox: Outbox): void;
}

/** No webhook stage: no delivery rows. */
export const noFanOut: FanOut<never[]> = {
  inTransaction: async () => [],
  afterCommit: () => {},
};
