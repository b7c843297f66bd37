import type { Db } from "../db/client.js";

/**
 * Disables an endpoint that has failed without a single success for `afterSeconds` (its
 * failingSince is that old). Its pending deliveries then fail as "endpoint disabled"; PATCH
 * enabled: true turns it back on. Returns whether it was disabled now.
 */
export async function disableIfFailingTooLong(db: Db, endpointId: string, afterSeconds: number, now: Date) {
  const { count } = await db.webhookEndpoint.updateMany({
    where: {
      id: endpointId,
      enabled: true,
      failingSince: { lte: new Date(now.getTime() - afterSeconds * 1000) },
    },
    data: { enabled: false, updatedAt: now },
  });
  return count === 1;
}
