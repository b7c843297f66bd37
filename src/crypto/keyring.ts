// Values sealed at rest (endpoint secrets, headers and URL credentials, the payer's personal data):
// AES-256-GCM (node:crypto) with the first key of ENCRYPTION_KEYS, bound to the row's id and the column
// (v2: a value moved to another row or another column does not open). The full 16-byte tag is required. Every key of the list opens
// what it sealed, so a rotation adds the new key first and keeps the old one until everything is
// sealed again; v1 values (bound to the endpoint only) still open, and start-up and `migrate` seal
// them again as v2. Pure.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ConfigError, MISSING_ENCRYPTION_KEYS } from "../config.js";

const SEALED_PREFIX = "enc:v2:";
/** Bound to the endpoint alone: opened, never written. */
const V1_PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The columns of webhook_endpoints that hold sealed values: each is named in its values' AAD. */
export type SealedColumn = "secret" | "previous_secret" | "headers" | "url";

/** Where the payer's personal data is sealed (src/orders/personal-data.ts): each value names its place. */
export type PersonalDataColumn =
  | "orders.payer_name"
  | "orders.payer_number"
  | "orders.payer_phone"
  | "notifications.msg_body"
  | "notifications.order_after.payerName"
  | "notifications.order_after.payerNumber"
  | "notifications.order_after.payerPhone";

export class SealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealingError";
  }
}

/** A key's public name: stored next to what it sealed, so the right key is found (and a missing one named). */
export function keyId(key: Buffer): string {
  return createHash("sha256").update("payzero-notify sealing key\n").update(key).digest("hex").slice(0, 8);
}

/** The id of the key a stored value was sealed with; null for a value stored in plaintext (before sealing). */
export function sealedKeyId(stored: string): string | null {
  const prefix = prefixOf(stored);
  if (prefix === null) return null;
  return stored.slice(prefix.length).split(":", 1)[0] ?? "";
}

/** Whether a stored value is sealed the current way (v2), with this key. */
export function isSealedWith(stored: string, id: string): boolean {
  return stored.startsWith(`${SEALED_PREFIX}${id}:`);
}

function prefixOf(stored: string): string | null {
  if (stored.startsWith(SEALED_PREFIX)) return SEALED_PREFIX;
  return stored.startsWith(V1_PREFIX) ? V1_PREFIX : null;
}

/** What a value is bound to: v2 names the column too. */
function aad(prefix: string, endpointId: string, column: string): Buffer {
  return Buffer.from(prefix === V1_PREFIX ? endpointId : `${endpointId}\n${column}`, "utf8");
}

export interface Keyring {
  /** The id of the key that seals (the first of ENCRYPTION_KEYS). */
  sealingId: string;
  /** Every configured key's id, the sealing one first. */
  ids: string[];
  /** `id` names the row (an endpoint's id, an order's number, a notification's content key). */
  seal(id: string, column: SealedColumn | PersonalDataColumn, plaintext: string): string;
  /** The plaintext; a value stored before sealing existed is returned as it is (start-up seals those). */
  open(id: string, column: SealedColumn | PersonalDataColumn, stored: string): string;
}

export function createKeyring(keys: readonly Buffer[]): Keyring {
  if (keys.length === 0) throw new SealingError("no encryption key");
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const first = keys[0]!;
  const sealingId = keyId(first);
  return {
    sealingId,
    ids: [...byId.keys()],
    seal(endpointId, column, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", first, iv, { authTagLength: TAG_BYTES }).setAAD(
        aad(SEALED_PREFIX, endpointId, column),
      );
      const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const packed = Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
      return `${SEALED_PREFIX}${sealingId}:${packed}`;
    },
    open(endpointId, column, stored) {
      const prefix = prefixOf(stored);
      const id = sealedKeyId(stored);
      if (prefix === null || id === null) return stored;
      const key = byId.get(id);
      if (!key)
        throw new SealingError(
          `sealed with key ${id}, which ENCRYPTION_KEYS does not hold (it holds ${[...byId.keys()].join(", ")})`,
        );
      const packed = Buffer.from(stored.slice(prefix.length + id.length + 1), "base64url");
      try {
        // A shorter tag is refused here rather than checked over fewer bytes.
        if (packed.length < IV_BYTES + TAG_BYTES) throw new Error("too short");
        const decipher = createDecipheriv("aes-256-gcm", key, packed.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        })
          .setAAD(aad(prefix, endpointId, column))
          .setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        throw new SealingError(
          `does not open with key ${id}: the stored value was changed or belongs to another row or column`,
        );
      }
    },
  };
}

/** The keyring of a configuration, made once per key list; a ConfigError when ENCRYPTION_KEYS is not set. */
const keyrings = new WeakMap<readonly Buffer[], Keyring>();
export function keyringOf(config: { encryptionKeys: readonly Buffer[] }): Keyring {
  if (config.encryptionKeys.length === 0) throw new ConfigError([MISSING_ENCRYPTION_KEYS]);
  let keyring = keyrings.get(config.encryptionKeys);
  if (!keyring) {
    keyring = createKeyring(config.encryptionKeys);
    keyrings.set(config.encryptionKeys, keyring);
  }
  return keyring;
}
