// What the webhook operations (endpoints/operations.ts, delivery/operations.ts, delivery/backfill-operations.ts)
// need, built once per door by webhookDeps: /v1 and the console (api/app.ts), the CLI (cli/run.ts).
import type { RecordWrite } from "../audit/record.js";
import type { Config } from "../config.js";
import { type Keyring, keyringOf } from "../crypto/keyring.js";
import type { Db } from "../db/client.js";
import { type DestinationPolicy, destinationPolicy } from "./endpoints/address-rule.js";

export interface WebhookDeps {
  db: Db;
  /** Seals and opens endpoints' secrets and headers. */
  keyring: Keyring;
  /** Where an endpoint may send (checked when its url is saved, and by the test event). */
  policy: DestinationPolicy;
  /** How long the old secret keeps signing after a rotation, unless the rotation says. */
  secretOverlapSeconds: number;
  /** The test event's timeout: a delivery attempt's. */
  timeoutMs: number;
  recordWrite: RecordWrite;
  now: () => Date;
}

type WebhookConfig = Pick<
  Config,
  | "encryptionKeys"
  | "port"
  | "adminPort"
  | "webhookAllowAddresses"
  | "webhookSecretOverlapSeconds"
  | "webhookTimeoutMs"
>;

export function webhookDeps(
  config: WebhookConfig,
  db: Db,
  recordWrite: RecordWrite,
  policy: DestinationPolicy = destinationPolicy(config),
): WebhookDeps {
  return {
    db,
    // Opened on first use: the CLI runs without ENCRYPTION_KEYS as long as it needs no secret.
    get keyring() {
      return keyringOf(config);
    },
    policy,
    secretOverlapSeconds: config.webhookSecretOverlapSeconds,
    timeoutMs: config.webhookTimeoutMs,
    recordWrite,
    now: () => new Date(),
  };
}
