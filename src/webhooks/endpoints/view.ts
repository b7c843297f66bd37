// An endpoint as /v1/webhooks shows it (schemas/webhooks.ts): headers and URL password masked, times
// as ISO, and never its signing secret (only the answers of a creation and a rotation carry it:
// operations.ts). The console shows the same.

import type { Keyring } from "../../crypto/keyring.js";
import { openEndpoint } from "./endpoint-sealing.js";
import type { Ordering } from "./input.js";
import { signingSecrets } from "./secret.js";
import { maskUrl } from "./url-mask.js";

interface EndpointRow {
  id: string;
  url: string;
  msgTypes: string[];
  payStatuses: string[];
  declareStatuses: string[];
  headers: string | null;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  description: string | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
  rateLimitPerSecond: number | null;
  throttledUntil: Date | null;
  ordering: string;
}

/** The column's CHECK allows these two only. */
const orderingOf = (stored: string): Ordering => (stored === "per-order" ? "per-order" : "none");

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const anyIfEmpty = (list: string[]) => (list.length === 0 ? null : list);

/** A header value as shown: its length and last characters at most, never enough to use it. */
function maskHeaderValue(value: string): string {
  return value.length >= 16
    ? `…${value.slice(-4)} (${value.length} characters)`
    : `… (${value.length} characters)`;
}

export function webhookView(e: EndpointRow, keyring: Keyring) {
  const opened = openEndpoint(keyring, e);
  return {
    id: e.id,
    url: maskUrl(e.url),
    msgTypes: anyIfEmpty(e.msgTypes),
    payStatus: anyIfEmpty(e.payStatuses),
    declareStatus: anyIfEmpty(e.declareStatuses),
    headers: Object.entries(opened.headers).map(([name, value]) => ({ name, value: maskHeaderValue(value) })),
    previousSecretExpiresAt:
      signingSecrets({ ...e, ...opened }, new Date()).length > 1 ? iso(e.previousSecretExpiresAt) : null,
    enabled: e.enabled,
    description: e.description,
    failingSince: iso(e.failingSince),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    rateLimitPerSecond: e.rateLimitPerSecond,
    throttledUntil: e.throttledUntil && e.throttledUntil > new Date() ? iso(e.throttledUntil) : null,
    ordering: orderingOf(e.ordering),
  };
}
