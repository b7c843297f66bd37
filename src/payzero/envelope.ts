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

/** A message's identity: its content, not its timestamp (a resend may carry a new one). */
export function contentKey(msgType: string, msgBody: string): string {
  return createHash("sha256").update(`${msgType}\n${msgBody}`, "utf8").digest("hex");
}
