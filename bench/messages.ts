// Unique, correctly signed Payzero notifications: what the bench POSTs to the receiver.
import { payzeroSign } from "../src/payzero/sign.js";
import { orderBody as testOrderBody } from "../test/support/payzero.js";

export const BENCH_SIGN_TOKEN = "bench-sign-token";
/** ENCRYPTION_KEYS of the bench's service (32 bytes, base64). */
export const BENCH_ENCRYPTION_KEY = Buffer.from("payzero-notify bench key 32 byte").toString("base64");

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

/** A realistic orderResultDto (about 700 bytes once signed, like Payzero's own example). */
function orderBody(mchtOrderNo: string, msgType: string): string {
  const pay = msgType === PAY;
  return testOrderBody({
    mchtOrderNo,
    payStatus: "PAY_SUCCEED",
    declareStatus: pay ? "NOT_DECLARED" : "DECLARED",
    paymentOrderNo: `P${mchtOrderNo}`,
  });
}

function signedBody(msgType: string, msgBody: string, timestamp = Date.now()): string {
  const sign = payzeroSign(BENCH_SIGN_TOKEN, String(timestamp), msgBody);
  return JSON.stringify({ timestamp, msgType, msgBody, sign });
}

/**
 * The n-th message of a run: order n/2 gets its payment, then its declaration notification, as in
 * a Payzero batch. Every n gives a distinct message.
 */
function nthMessage(run: string, n: number): string {
  const msgType = n % 2 === 0 ? PAY : DECLARE;
  return signedBody(msgType, orderBody(`${run}-${Math.floor(n / 2)}`, msgType));
}

/** Hands out message after message; `count` is how many were built. */
export function messageSource(run: string): { next: () => string; count: () => number } {
  let n = 0;
  return { next: () => nthMessage(run, n++), count: () => n };
}
