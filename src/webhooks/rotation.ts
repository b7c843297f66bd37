// Secret rotation with an overlap: for a while deliveries carry the old secret's signature next to
// the new one, so a receiver can switch keys without refusing a single delivery.
import type { Db } from "../db/client.js";
import type { EndpointSecrets } from "./secret.js";

/** The endpoint's secrets after rotating to `next`. Pure. */
export function rotateSecret(
  current: EndpointSecrets,
  next: string,
  overlapSeconds: number,
  now: Date,
): EndpointSecrets {
  // The same key again is no rotation: an overlap already running keeps running.
  if (next === current.secret) return current;
  if (overlapSeconds === 0) return { secret: next, previousSecret: null, previousSecretExpiresAt: null };
  const previousSecretExpiresAt = new Date(now.getTime() + overlapSeconds * 1000);
  return { secret: next, previousSecret: current.secret, previousSecretExpiresAt };
}

export interface EndpointChange {
  /** Plain column updates (url, msgTypes, enabled, …). */
  data: Record<string, unknown>;
  rotation?: { secret: string; overlapSeconds: number };
}

/** Applies the change in one transaction, the endpoint locked; the row after it, or null when there is none. */
export async function changeEndpoint(db: Db, id: string, change: EndpointChange) {
  return db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<EndpointSecrets[]>`
      SELECT secret, previous_secret AS "previousSecret", previous_secret_expires_at AS "previousSecretExpiresAt"
        FROM webhook_endpoints WHERE id = ${id} FOR UPDATE`;
    if (!current) return null;
    const { rotation } = change;
    const secrets = rotation && rotateSecret(current, rotation.secret, rotation.overlapSeconds, new Date());
    return tx.webhookEndpoint.update({ where: { id }, data: { ...change.data, ...secrets } });
  });
}
