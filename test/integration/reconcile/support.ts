// Orders as the service would hold them, aged at will, for the reconciler's tests.
import pino from "pino";
import type { Db } from "../../../src/db/client.js";
import { applyNotification } from "../../../src/orders/apply.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import type { ReconcileSettings } from "../../../src/reconcile/policy.js";
import { orderBody } from "../../support/payzero.js";

export const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
export const APP = { appId: "sim-app", appKey: "sim-key" };

export const settings: ReconcileSettings = {
  intervalSeconds: 300,
  staleSeconds: 900,
  maxAgeSeconds: 7 * 86_400,
  batchSize: 100,
  ratePerSecond: 1000,
  awaitDeclaration: true,
  unknownOrderSeconds: 86_400,
  abandonedAfterSeconds: 86_400,
  abandonedSharePercent: 10,
};

export interface Seed {
  payStatus: string;
  declareStatus: string;
  /** Seconds since the order last changed; default 1 hour (stale). */
  unchangedFor?: number;
  /** Seconds since the order was created; default 1 day. */
  age?: number;
}

/** Stores a payment notification for the order (the way the worker does), then ages the order. */
export async function seedOrder(db: Db, mchtOrderNo: string, seed: Seed): Promise<void> {
  const now = Date.now();
  const msgBody = orderBody({ mchtOrderNo, payStatus: seed.payStatus, declareStatus: seed.declareStatus });
  await applyNotification(
    db,
    {
      msgType: PAY_STATUS_NOTIFY,
      timestamp: BigInt(now - 3_600_000),
      msgBody,
      receivedAt: new Date(),
      source: "payzero-notify",
    },
    noFanOut,
  );
  await db.order.update({
    where: { mchtOrderNo },
    data: {
      updatedAt: new Date(now - (seed.unchangedFor ?? 3600) * 1000),
      createdAt: new Date(now - (seed.age ?? 86_400) * 1000),
    },
  });
}

/** Payzero's view of an order: the service's body with other statuses. */
export function payzeroOrder(mchtOrderNo: string, payStatus: string, declareStatus: string) {
  return JSON.parse(orderBody({ mchtOrderNo, payStatus, declareStatus })) as { mchtOrderNo: string };
}
