// Standard Webhooks secrets: "whsec_" + base64 of random bytes. Pure apart from the random source.
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

const SECRET_PREFIX = "whsec_";
/** Standard Webhooks: keys SHOULD be 24–64 bytes. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

export function generateSecret(bytes = 32): string {
  return SECRET_PREFIX + randomBytes(bytes).toString("base64");
}

/** Why a merchant-given secret is unusable, or undefined when it is fine. */
export function secretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return `secret must start with "${SECRET_PREFIX}"`;
  try {
    new Webhook(secret);
  } catch {
    return "secret must be whsec_ followed by base64";
  }
  const bytes = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64").length;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES)
    return `secret must hold ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes (got ${bytes})`;
  return undefined;
}

export interface EndpointSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/** What a delivery at `now` is signed with: the current secret, and the previous one until it expires. */
export function signingSecrets(e: EndpointSecrets, now: Date): string[] {
  const { secret, previousSecret, previousSecretExpiresAt } = e;
  const previousValid = previousSecretExpiresAt !== null && previousSecretExpiresAt > now;
  return previousSecret && previousSecret !== secret && previousValid ? [secret, previousSecret] : [secret];
}

/** `ep_` + creation time + random: ids sort in creation order (the list's cursor relies on it). */
export function generateEndpointId(now = Date.now()): string {
  return `ep_${now.toString(16).padStart(12, "0")}${randomBytes(8).toString("hex")}`;
}
