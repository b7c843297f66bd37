// Reading an orderResultDto (section 2.4) out of a notification's msgBody. Hand-written: the
// wire format is loose (paymentDatetime and timestamps arrive as numbers or strings), and a body
// that is not an order must be recognised and kept, not thrown away.

export interface OrderResultDto {
  mchtOrderNo: string;
  /** Fen, an integer. */
  paymentAmount: bigint | null;
  payerName: string | null;
  payerNumber: string | null;
  payerPhone: string | null;
  subject: string | null;
  payStatus: string | null;
  declareStatus: string | null;
  declareFailReason: string | null;
  paymentOrderNo: string | null;
  verDept: string | null;
  payType: string | null;
  initRequest: string | null;
  initResponse: string | null;
  /** yyyyMMddHHmmss */
  paymentDatetime: string | null;
  customsPayCompanyName: string | null;
  customsPayCompanyCode: string | null;
}

/**
 * `ok`: the message can be applied. `kept` names each malformed field the state does not need (neither
 * mchtOrderNo nor a status) and what was made of it; msgBody, stored and forwarded as it came, keeps
 * the raw value.
 */
export type ParsedBody =
  | { ok: true; dto: OrderResultDto; kept: string[] }
  | { ok: false; problem: string; mchtOrderNo: string | null };

/** The fields that decide whether and how the message applies: malformed, the message is a problem. */
const STATUS_FIELDS = ["payStatus", "declareStatus"] as const;

const OTHER_TEXT_FIELDS = [
  "payerName",
  "payerNumber",
  "payerPhone",
  "subject",
  "declareFailReason",
  "paymentOrderNo",
  "verDept",
  "payType",
  "initRequest",
  "initResponse",
  "paymentDatetime",
  "customsPayCompanyName",
  "customsPayCompanyCode",
] as const;

export function parseOrderResult(msgBody: string): ParsedBody {
  let json: unknown;
  try {
    json = JSON.parse(msgBody);
  } catch {
    return { ok: false, problem: "msgBody is not JSON", mchtOrderNo: null };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { ok: false, problem: "msgBody is not a JSON object", mchtOrderNo: null };
  }
  const body = json as Record<string, unknown>;
  const mchtOrderNo = text(body.mchtOrderNo) ?? null;
  if (mchtOrderNo === null || mchtOrderNo.trim() === "") {
    return { ok: false, problem: "msgBody has no mchtOrderNo", mchtOrderNo: null };
  }
  const dto = { mchtOrderNo } as OrderResultDto;
  for (const field of STATUS_FIELDS) {
    const value = text(body[field]);
    if (value === undefined) return { ok: false, problem: `${field} is not text`, mchtOrderNo };
    dto[field] = value;
  }
  const kept: string[] = [];
  dto.paymentAmount = fen(body.paymentAmount, kept);
  for (const field of OTHER_TEXT_FIELDS) dto[field] = lenientText(field, body[field], kept);
  return { ok: true, dto, kept };
}

/**
 * Strings stay, numbers become their decimal text (Payzero sends paymentDatetime both ways). A
 * string with a NUL or a lone surrogate is not text: Postgres text cannot hold a NUL, jsonb
 * (order_after) neither nor a lone surrogate, and the message would fail every retry instead of
 * being kept as a problem.
 */
function text(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value.includes("\u0000") || /\p{Cs}/u.test(value) ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

/** A field the state does not need: an object or array is kept as its JSON text, other non-text left out. */
function lenientText(field: string, value: unknown, kept: string[]): string | null {
  const read = text(value);
  if (read !== undefined) return read;
  if (typeof value === "object") {
    const json = JSON.stringify(value);
    if (text(json) !== undefined) {
      kept.push(`${field} is not text: kept as its JSON`);
      return json;
    }
  }
  kept.push(`${field} is not text: left out (msgBody has it)`);
  return null;
}

/** Fen: a Long (section 2.4). A decimal string of whole fen ("35302.00") is read and reported. */
function fen(value: unknown, kept: string[]): bigint | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?[0-9]{1,18}$/.test(value)) return BigInt(value);
  const whole = typeof value === "string" ? /^(-?[0-9]{1,18})\.0+$/.exec(value)?.[1] : undefined;
  if (whole !== undefined) {
    kept.push(`paymentAmount ${JSON.stringify(value)} is not a whole number: read as ${BigInt(whole)} fen`);
    return BigInt(whole);
  }
  kept.push("paymentAmount is not a whole number of fen: left out (msgBody has it)");
  return null;
}
