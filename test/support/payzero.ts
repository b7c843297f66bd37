// Payzero's side of the wire, for tests: signed envelopes like the ones Payzero POSTs.
import { readFileSync } from "node:fs";
import { payzeroSign } from "../../src/payzero/sign.js";
import { TEST_SIGN_TOKEN } from "./config.js";

export interface SignVector {
  name: string;
  signToken: string;
  timestamp: number | string;
  msgType: string;
  msgBody: string;
  sign: string;
}

export const signVectors: SignVector[] = JSON.parse(
  readFileSync(new URL("../fixtures/payzero-sign-vectors.json", import.meta.url), "utf8"),
);

export interface GbkSignVector extends SignVector {
  /** The whole envelope as Java writes it in GBK and in GB18030, base64. */
  envelopeGbk: string;
  envelopeGb18030: string;
}

/**
 * Signed by Payzero's routine on a JVM whose default charset is GBK, with Java's GBK bytes of single
 * characters (test/fixtures/gbk/PayzeroSignGbk.java made them).
 */
export const gbkFixture: {
  jvm: string;
  defaultCharset: string;
  vectors: GbkSignVector[];
  codes: Array<{ char: string; gbk: string }>;
} = JSON.parse(readFileSync(new URL("../fixtures/gbk/vectors.json", import.meta.url), "utf8"));

export interface OrderFields {
  mchtOrderNo: string;
  payStatus?: string | null;
  declareStatus?: string | null;
  [field: string]: unknown;
}

export function orderBody(fields: OrderFields): string {
  return JSON.stringify({
    paymentAmount: 35302,
    payerName: "周Xx",
    payerNumber: "610327198509271234",
    payerPhone: "13800138000",
    subject: "YYYYYYYY-口红",
    payStatus: "PAY_APPLIED",
    declareStatus: "NOT_DECLARED",
    declareFailReason: null,
    paymentOrderNo: "111906650000561884",
    verDept: null,
    payType: "2",
    initRequest: "https://vsp.allinpay.com/apiweb/qpay/payapplyagree[data:{amount=1}]",
    initResponse: '{"retcode":"SUCCESS"}',
    paymentDatetime: "20190411213822",
    customsPayCompanyName: "通联支付网络服务股份有限公司",
    customsPayCompanyCode: "312228034T",
    ...fields,
  });
}

export function signedEnvelope(
  msgType: string,
  msgBody: string,
  timestamp: number | string = Date.now(),
  token = TEST_SIGN_TOKEN,
): { timestamp: number | string; msgType: string; msgBody: string; sign: string } {
  return { timestamp, msgType, msgBody, sign: payzeroSign(token, String(timestamp), msgBody) };
}
