// The envelope Payzero POSTs to the merchant (section 3.1) and a message's identity.
import { createHash } from "node:crypto";
import { type Static, Type } from "typebox";

export const PAY_STATUS_NOTIFY = "PAY_STATUS_NOTIFY";
export const DECLARE_STATUS_NOTIFY = "DECLARE_STATUS_NOTIFY";

/**
 * Up to 18 digits: every millisecond timestamp fits, and so does Postgres bigint (19 digits could
 * exceed it, and the worker would retry such a message for ever). The decimal text is what gets signed.
 */
const TIMESTAMP_TEXT = "^[0-9]{1,18}$";

export const Envelope = Type.Object(
  {
    timestamp: Type.Union(
      [
        Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
        Type.String({ pattern: TIMESTAMP_TEXT }),
      ],
      {
        description: "Milliseconds since the epoch, as a JSON number or a string of digits",
      },
    ),
    msgType: Type.String({
      minLength: 1,
      maxLength: 64,
      description: "PAY_STATUS_NOTIFY, DECLARE_STATUS_NOTIFY, …",
    }),
    msgBody: Type.String({ description: "A JSON string holding an orderResultDto" }),
    sign: Type.String({ pattern: "^[0-9a-fA-F]{40}$", description: "sha1 hex, either case" }),
  },
  { additionalProperties: true },
);
export type Envelope = Static<typeof Envelope>;

/** The decimal text of the timestamp, as it was signed. */
export function timestampText(timestamp: number | string): string {
  return typeof timestamp === "number" ? String(timestamp) : timestamp;
}

/** The message types Payzero sends (sections 3.4 and 3.5); any other is stored but not applied. */
export const PAYZERO_MSG_TYPES: readonly string[] = [PAY_STATUS_NOTIFY, DECLARE_STATUS_NOTIFY];

/**
 * A signed message's identity (docs/payzero.md, "Identity"): derived from its sign alone, which is
 * SHA-1 over exactly what Payzero signed (token, timestamp and msgBody, joined). Whatever the sign
 * does not cover (msgType, where timestamp ends and msgBody begins, a character GBK writes as "?")
 * cannot make a copy another message. The sign is only trusted once verified.
 */
export function signedKey(sign: string): string {
  return sha256(`payzero-sign\n${sign.toLowerCase()}`);
}

/**
 * The identity of a message without a sign: one the reconciler learned from Payzero's query API, or
 * one a receiver older than signed jobs queued (msgType, body and timestamp: the key such a receiver's
 * worker gave a body that came again as a new state).
 */
export function unsignedKey(msgType: string, msgBody: string, timestamp: bigint | string): string {
  return sha256(`${msgType}\n${msgBody}\n${timestamp}`);
}

/** The body alone: finds a stored copy of this body under any timestamp (a resend stamped anew). */
export function bodyKey(msgBody: string): string {
  return sha256(msgBody);
}

/** The body key of the reconciler's findings, which it types itself: the body under that type. */
export function queryBodyKey(msgType: string, msgBody: string): string {
  return sha256(`${msgType}\n${msgBody}`);
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
