// What an endpoint receives: the body built from the stored notification, and its signed headers. Pure.
import { createHmac } from "node:crypto";
import type { StoredNotification } from "../../orders/notification.js";

/** The type of the console's "send test event" (endpoints/test-event.ts): never a notification's. */
export const TEST_EVENT_TYPE = "CONSOLE_TEST";

/** The stored notification fields the payload is built from. */
export type PayloadSource = Omit<StoredNotification, "id">;

export interface WebhookPayload {
  id: string;
  type: string;
  timestamp: number;
  source: string;
  data: unknown;
  order: unknown;
}

/** The webhook-id: derived from the message's content, so every retry (and manual retry) repeats it. */
export function webhookMessageId(contentKey: string): string {
  return `msg_${contentKey.trim()}`;
}

export function parseMsgBody(msgBody: string): unknown {
  try {
    return JSON.parse(msgBody);
  } catch {
    return msgBody;
  }
}

export function buildPayload(n: PayloadSource): WebhookPayload {
  return {
    id: webhookMessageId(n.contentKey),
    type: n.msgType,
    timestamp: Number(n.timestamp),
    source: n.source,
    data: parseMsgBody(n.msgBody),
    order: n.orderAfter ?? null,
  };
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * Standard Webhooks headers; webhook-timestamp is the send time, the body's timestamp is Payzero's.
 * With several secrets (during a rotation) webhook-signature holds one signature per secret,
 * space-separated, and receivers accept the request when any of them verifies.
 */
export function signRequest(secrets: readonly string[], payload: WebhookPayload, now: Date): SignedRequest {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "payzero-notify",
      "webhook-id": payload.id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": secrets
        .map((secret) => standardSignature(secret, payload.id, now, body))
        .join(" "),
    },
  };
}

/**
 * The Standard Webhooks signature, `v1,` + base64(HMAC-SHA256(key, "<id>.<seconds>.<body>")), key =
 * the secret's base64 after "whsec_". Hand-written on node:crypto: the standardwebhooks package signs
 * with a JavaScript SHA-256 (4 % of a worker's CPU in the burst profile); secrets are checked with
 * it when saved (secret.ts), and the tests verify every signature with it.
 */
export function standardSignature(secret: string, msgId: string, at: Date, body: string): string {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
  const seconds = Math.floor(at.getTime() / 1000);
  return `v1,${createHmac("sha256", key).update(`${msgId}.${seconds}.${body}`).digest("base64")}`;
}
