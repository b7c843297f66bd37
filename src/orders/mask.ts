// Masks the payer's personal data wherever an operator reads an order (console, CLI) and for /v1
// callers without the personal-data scope: terminals and tickets are logs too. Pure.

/** 周Xx → 周**: the first character, the rest starred (at least one star). */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length === 0) return "";
  return `${chars[0]}${"*".repeat(Math.max(1, chars.length - 1))}`;
}

/** Keeps `head` leading and `tail` trailing characters; a value too short to keep them is all stars. */
function maskMiddle(value: string, head: number, tail: number): string {
  const chars = Array.from(value.trim());
  if (chars.length < head + tail + 4) return "*".repeat(Math.max(1, chars.length));
  const starred = "*".repeat(chars.length - head - tail);
  return `${chars.slice(0, head).join("")}${starred}${chars.slice(chars.length - tail).join("")}`;
}

/** 610327198509271234 → 6103**********1234 */
export const maskIdNumber = (value: string): string => maskMiddle(value, 4, 4);

/** 13800138000 → 138****8000 */
export const maskPhone = (value: string): string => maskMiddle(value, 3, 4);

export interface PayerFields {
  payerName: string | null;
  payerNumber: string | null;
  payerPhone: string | null;
}

export function maskPayer<T extends PayerFields>(order: T): T {
  return {
    ...order,
    payerName: order.payerName === null ? null : maskName(order.payerName),
    payerNumber: order.payerNumber === null ? null : maskIdNumber(order.payerNumber),
    payerPhone: order.payerPhone === null ? null : maskPhone(order.payerPhone),
  };
}

const PAYER_MASKS: Record<string, (value: string) => string> = {
  payerName: maskName,
  payerNumber: maskIdNumber,
  payerPhone: maskPhone,
};

function maskPayerFieldsDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskPayerFieldsDeep);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const mask = PAYER_MASKS[key];
      return [key, mask && typeof v === "string" ? mask(v) : maskPayerFieldsDeep(v)];
    }),
  );
}

/**
 * A stored notification body with its payer fields masked, at any depth. A body that is not JSON
 * cannot be searched for them, so none of it is shown (null).
 */
export function maskMsgBody(body: string | null): string | null {
  if (body === null) return null;
  try {
    return JSON.stringify(maskPayerFieldsDeep(JSON.parse(body)));
  } catch {
    return null;
  }
}
