// Secret rotation with an overlap: for a while deliveries carry the old secret's signature next to
// the new one, so a receiver can switch keys without refusing a single delivery.

import type { Keyring } from "../../crypto/keyring.js";
import type { Db } from "../../db/client.js";
import type { WebhookEndpoint } from "../../generated/prisma/client.js";
import type { Refusal } from "../../refusal.js";
import { type EndpointHeaders, openEndpoint, sealHeaders } from "./endpoint-sealing.js";
import { headersAfterMove } from "./header-policy.js";
import type { EndpointSecrets } from "./secret.js";

/** Headers an endpoint has at most. */
export const MAX_HEADERS = 20;

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
  /** Merged into the endpoint's headers: a null value removes that header; null removes them all. */
  headers?: Record<string, string | null> | null;
}

/** The row after a change, and the stored headers it dropped because the URL moved (header-policy.ts). */
export type ChangedEndpoint = WebhookEndpoint & { headersDropped: string[] };

/**
 * Applies the change in one transaction, the endpoint locked; the row after it, or a refusal (no such
 * endpoint, too many headers once merged: nothing is written). The sealed columns are opened, changed
 * and sealed again here (with the sealing key).
 */
export async function changeEndpoint(
  db: Db,
  keyring: Keyring,
  id: string,
  change: EndpointChange,
): Promise<ChangedEndpoint | Refusal> {
  return db.$transaction(async (tx): Promise<ChangedEndpoint | Refusal> => {
    const [current] = await tx.$queryRaw<Array<EndpointSecrets & { headers: string | null; url: string }>>`
      SELECT secret, previous_secret AS "previousSecret", previous_secret_expires_at AS "previousSecretExpiresAt",
             headers, url
        FROM webhook_endpoints WHERE id = ${id} FOR UPDATE`;
    if (!current) return { code: 404, message: "no such webhook" };
    const opened = { ...current, ...openEndpoint(keyring, { id, ...current }) };
    const { rotation } = change;
    const newUrl = typeof change.data.url === "string" ? change.data.url : undefined;
    const moved = headersAfterMove(opened.headers, current.url, newUrl, change.headers);
    // Moved elsewhere with stored headers: they are written again (emptied) even without any in the request.
    const headers = change.headers !== undefined ? change.headers : moved.dropped.length > 0 ? {} : undefined;
    const secrets = rotation && rotateSecret(opened, rotation.secret, rotation.overlapSeconds, new Date());
    const sealedSecrets = secrets && {
      ...secrets,
      secret: keyring.seal(id, "secret", secrets.secret),
      previousSecret:
        secrets.previousSecret === null ? null : keyring.seal(id, "previous_secret", secrets.previousSecret),
    };
    const merged = headers ? mergeHeaders(moved.base as EndpointHeaders, headers) : {};
    if (Object.keys(merged).length > MAX_HEADERS)
      return {
        code: 400,
        message: `headers: at most ${MAX_HEADERS} (this change would make ${Object.keys(merged).length})`,
      };
    const sealedHeaders = headers !== undefined && { headers: sealHeaders(keyring, id, merged) };
    const row = await tx.webhookEndpoint.update({
      where: { id },
      data: { ...change.data, ...sealedSecrets, ...sealedHeaders },
    });
    return { ...row, headersDropped: moved.dropped };
  });
}

/** The headers after a PATCH: given names set (null removes one), the others kept. Pure. */
function mergeHeaders(current: EndpointHeaders, patch: Record<string, string | null>): EndpointHeaders {
  const merged: EndpointHeaders = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}
