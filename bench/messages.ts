// Unique, correctly signed Payzero notifications: what the bench POSTs to the receiver.
import { payzeroSign } from "../src/payzero/sign.js";

export const BENCH_SIGN_TOKEN = "bench-sign-token";

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

/** A realistic orderResultDto (about 700 bytes once signed, like Payzero's own example). */
export function orderBody(mchtOrderNo: string, msgType: string): string {
  const pay = msgType === PAY;
  return JSON.stringify({
    mchtOrderNo,
    paymentAmount: 35302,
    payerName: "周Xx",
    payerNumber: "610327198509271234",
    payerPhone: "13800138000",
    subject: "YYYYYYYY-口红",
    payStatus: "PAY_SUCCEED",
    declareStatus: pay ? "NOT_DECLARED" : "DECLARED",
    declareFailReason: null,
    paymentOrderNo: `P${mchtOrderNo}`,
    verDept: null,
    payType: "2",
    initRequest: "https://vsp.allinpay.com/apiweb/qpay/payapplyagree[data:{amount=1}]",
    initResponse: '{"retcode":"SUCCESS"}',
    paymentDatetime: "20190411213822",
    customsPayCompanyName: "通联支付网络服务股份有限公司",
    customsPayCompanyCode: "312228034T",
  });
}

export function signedBody(msgType: string, msgBody: string, timestamp = Date.now()): string {
  const sign = payzeroSign(BENCH_SIGN_TOKEN, String(timestamp), msgBody);
  return JSON.stringify({ timestamp, msgType, msgBody, sign });
}

/**
 * The n-th message of a run: order n/2 gets its payment, then its declaration notification, as in
 * a Payzero batch. Every n gives a distinct message.
 */
export function nthMessage(run: string, n: number): string {
  const msgType = n % 2 === 0 ? PAY : DECLARE;
  return signedBody(msgType, orderBody(`${run}-${Math.floor(n / 2)}`, msgType));
}

/** Hands out message after message; `count` is how many were built. */
export function messageSource(run: string): { next: () => string; count: () => number } {
  let n = 0;
  return { next: () => nthMessage(run, n++), count: () => n };
}
