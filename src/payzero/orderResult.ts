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

export type ParsedBody =
  | { ok: true; dto: OrderResultDto }
  | { ok: false; problem: string; mchtOrderNo: string | null };

const TEXT_FIELDS = [
  "payerName",
  "payerNumber",
  "payerPhone",
  "subject",
  "payStatus",
  "declareStatus",
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
  const amount = fen(body.paymentAmount);
  if (amount === undefined) {
    return { ok: false, problem: "paymentAmount is not a whole number of fen", mchtOrderNo };
  }
  const dto = { mchtOrderNo, paymentAmount: amount } as OrderResultDto;
  for (const field of TEXT_FIELDS) {
    const value = text(body[field]);
    if (value === undefined) return { ok: false, problem: `${field} is not text`, mchtOrderNo };
    dto[field] = value;
  }
  return { ok: true, dto };
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

function fen(value: unknown): bigint | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?[0-9]{1,18}$/.test(value)) return BigInt(value);
  return undefined;
}
