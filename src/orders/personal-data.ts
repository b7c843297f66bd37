// The payer's personal data (name, ID card number, phone) at rest: sealed with the keyring of
// ENCRYPTION_KEYS (src/crypto/keyring.ts) wherever it is stored, opened wherever it is read, and
// erased on demand or by policy (erase.ts). Where it is stored:
//  - orders.payer_name / payer_number / payer_phone: each value sealed, bound to the order number;
//  - notifications.msg_body: the raw body as Payzero sent it, sealed whole (byte for byte what Payzero
//    signed, so a replay or backfill forwards exactly what it received), bound to the content key;
//  - notifications.order_after: the snapshot's payer fields sealed one by one (its statuses stay
//    readable to SQL and to the order's history), bound to the content key.
// A value stored before sealing existed opens as it is; `migrate` and start-up seal those (seal-existing.ts).
import { ConfigError, MISSING_ENCRYPTION_KEYS } from "../config.js";
import { type Keyring, keyringOf, type PersonalDataColumn } from "../crypto/keyring.js";
import type { PayerFields } from "./mask.js";

const PAYER_FIELDS = ["payerName", "payerNumber", "payerPhone"] as const;
type PayerField = (typeof PAYER_FIELDS)[number];

const ORDER_COLUMN: Record<PayerField, PersonalDataColumn> = {
  payerName: "orders.payer_name",
  payerNumber: "orders.payer_number",
  payerPhone: "orders.payer_phone",
};
const SNAPSHOT_COLUMN: Record<PayerField, PersonalDataColumn> = {
  payerName: "notifications.order_after.payerName",
  payerNumber: "notifications.order_after.payerNumber",
  payerPhone: "notifications.order_after.payerPhone",
};

// One keyring per process, installed by each role at start (api, worker, migrate, the CLI when
// ENCRYPTION_KEYS is set) and by the tests' setup: the apply step and the readers are called from
// many places (workers, reconciler, retention, operations, tests) that otherwise take no configuration.
let installed: Keyring | null = null;

/** Makes ENCRYPTION_KEYS the keys of the personal data of this process (a ConfigError when unset). */
export function usePersonalDataKeys(config: { encryptionKeys: readonly Buffer[] }): Keyring {
  installed = keyringOf(config);
  return installed;
}

export function personalDataKeyring(): Keyring {
  if (installed === null) throw new ConfigError([MISSING_ENCRYPTION_KEYS]);
  return installed;
}

type WithPayer = PayerFields & { mchtOrderNo: string };

function mapPayer<T extends PayerFields>(o: T, f: (field: PayerField, value: string) => string): T {
  const out = { ...o };
  for (const field of PAYER_FIELDS) {
    const value = o[field];
    if (value !== null) out[field] = f(field, value);
  }
  return out;
}

/** The order row's payer fields sealed (as saveOrders writes them). */
export function sealOrder<T extends WithPayer>(order: T, k = personalDataKeyring()): T {
  return mapPayer(order, (field, v) => k.seal(order.mchtOrderNo, ORDER_COLUMN[field], v));
}

/** The order row's payer fields in plaintext. */
export function openOrder<T extends WithPayer>(order: T, k = personalDataKeyring()): T {
  return mapPayer(order, (field, v) => k.open(order.mchtOrderNo, ORDER_COLUMN[field], v));
}

export function sealBody(contentKey: string, body: string, k = personalDataKeyring()): string {
  return k.seal(contentKey.trim(), "notifications.msg_body", body);
}

export function openBody<B extends string | null>(
  contentKey: string,
  stored: B,
  k = personalDataKeyring(),
): B {
  return (stored === null ? null : k.open(contentKey.trim(), "notifications.msg_body", stored)) as B;
}

function mapSnapshot(snapshot: unknown, f: (field: PayerField, value: string) => string): unknown {
  if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot)) return snapshot;
  const out: Record<string, unknown> = { ...snapshot };
  for (const field of PAYER_FIELDS) {
    const value = out[field];
    if (typeof value === "string") out[field] = f(field, value);
  }
  return out;
}

/** An order_after snapshot (the order's JSON view) with its payer fields sealed. */
export function sealSnapshot(contentKey: string, snapshot: unknown, k = personalDataKeyring()): unknown {
  return mapSnapshot(snapshot, (field, v) => k.seal(contentKey.trim(), SNAPSHOT_COLUMN[field], v));
}

export function openSnapshot(contentKey: string, snapshot: unknown, k = personalDataKeyring()): unknown {
  return mapSnapshot(snapshot, (field, v) => k.open(contentKey.trim(), SNAPSHOT_COLUMN[field], v));
}

/**
 * A body with its payer fields erased (set to null), for an order whose personal data is erased. A
 * body that is not a JSON object holds no field to erase and is returned as it is.
 */
export function erasePayerFromBody(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return body;
  const o = json as Record<string, unknown>;
  if (!PAYER_FIELDS.some((f) => o[f] !== undefined && o[f] !== null)) return body;
  for (const f of PAYER_FIELDS) if (f in o) o[f] = null;
  return JSON.stringify(o);
}

/** The payer fields erased from a DTO or a state. */
export function withoutPayer<T extends PayerFields>(o: T): T {
  return { ...o, payerName: null, payerNumber: null, payerPhone: null };
}
