// A realistic batch of notifications: a payment for each of N orders, then a customs declaration for each
// paid one; some payments and declarations fail. Deterministic for a given seed.

import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../payzero/envelope.js";
import type { OrderResultJson } from "../payzero/query-api.js";

export interface BatchOptions {
  orders: number;
  /** Share of payments, and of declarations, that fail (0..1). */
  failRate: number;
  /** Share of paid orders whose declaration is never sent: only the query API knows their end state. */
  loseRate?: number;
  seed?: number;
  /** Order numbers are `${prefix}${n}`, n zero-padded. */
  prefix?: string;
  /** The payment time written into the orders (yyyyMMddHHmmss is derived from it). */
  paidAt?: Date;
}

export interface SimMessage {
  msgType: string;
  msgBody: string;
  mchtOrderNo: string;
}

export interface Batch {
  /** Every payment notification, then every declaration notification, lost ones left out. */
  messages: SimMessage[];
  /** Each order's end state, as Payzero's query API would answer it. */
  finalStates: OrderResultJson[];
  lost: string[];
}

/** mulberry32: a small seeded generator, good enough for demo data. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateBatch(options: BatchOptions): Batch {
  const random = seededRandom(options.seed ?? 1);
  const prefix = options.prefix ?? "SIM";
  const pays: SimMessage[] = [];
  const declares: SimMessage[] = [];
  const finalStates: OrderResultJson[] = [];
  const lost: string[] = [];
  for (let i = 1; i <= options.orders; i++) {
    // Every other order writes paymentDatetime as a JSON number, as in section 2.5's example rows.
    const order = simulateOrder(`${prefix}${String(i).padStart(6, "0")}`, options, random, i % 2 === 0);
    // Only a declaration is lost: the service must know the order (from its payment) to ask about it.
    const lose = random() < (options.loseRate ?? 0) && order.messages.length > 1;
    const last = order.messages.length - 1;
    order.messages.forEach((m, index) => {
      if (lose && index === last) return;
      (m.msgType === PAY_STATUS_NOTIFY ? pays : declares).push(m);
    });
    if (lose) lost.push(order.final.mchtOrderNo);
    finalStates.push(order.final);
  }
  return { messages: [...pays, ...declares], finalStates, lost };
}

function simulateOrder(
  mchtOrderNo: string,
  options: BatchOptions,
  random: () => number,
  numericTime: boolean,
): { messages: SimMessage[]; final: OrderResultJson } {
  const base = baseOrder(mchtOrderNo, options.paidAt ?? new Date(), random, numericTime);
  if (random() < options.failRate) {
    const failed = { ...base, payStatus: "PAY_FAILED", declareStatus: "NOT_DECLARED", paymentDatetime: null };
    return { messages: [message(PAY_STATUS_NOTIFY, failed)], final: failed };
  }
  const paid = { ...base, payStatus: "PAY_SUCCEED", declareStatus: "PENDING_DECLARE" };
  const declared =
    random() < options.failRate
      ? { ...paid, declareStatus: "DECLARE_FAILED", declareFailReason: "支付人姓名和证件号不匹配" }
      : { ...paid, declareStatus: "DECLARED" };
  return {
    messages: [message(PAY_STATUS_NOTIFY, paid), message(DECLARE_STATUS_NOTIFY, declared)],
    final: declared,
  };
}

function message(msgType: string, dto: OrderResultJson): SimMessage {
  return { msgType, msgBody: JSON.stringify(dto), mchtOrderNo: dto.mchtOrderNo };
}

/**
 * One plausible order for `simulate send`; `fields` override the generated ones. Payzero notifies final
 * results only (sections 2.2, 2.6, 4.1): a pay notification a paid order, a declare notification a declared one.
 */
export function sampleOrder(
  mchtOrderNo: string,
  fields: Record<string, unknown> = {},
  msgType: string = PAY_STATUS_NOTIFY,
): OrderResultJson {
  const declareStatus = msgType === DECLARE_STATUS_NOTIFY ? "DECLARED" : "PENDING_DECLARE";
  const base = baseOrder(mchtOrderNo, new Date(), seededRandom(Date.now()), false);
  return { ...base, payStatus: "PAY_SUCCEED", declareStatus, ...fields, mchtOrderNo };
}

const SURNAMES = ["周", "王", "李", "张", "刘", "陈"];
const GOODS = ["口红", "面霜", "奶粉", "香水", "保健品"];

function baseOrder(
  mchtOrderNo: string,
  paidAt: Date,
  random: () => number,
  numericTime: boolean,
): OrderResultJson {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
  return {
    mchtOrderNo,
    paymentAmount: 100 + Math.floor(random() * 99_900),
    payerName: `${pick(SURNAMES)}Xx`,
    // Not a real ID number: 000000 is no region code.
    payerNumber: `000000${digits(12)}`,
    payerPhone: `138${digits(8)}`,
    subject: `SIM-${pick(GOODS)}`,
    payStatus: "PAY_APPLIED",
    declareStatus: "NOT_DECLARED",
    declareFailReason: null,
    paymentOrderNo: digits(18),
    verDept: null,
    payType: "2",
    initRequest: `https://sim.invalid/qpay/payapplyagree[data:{orderid=${mchtOrderNo}}]`,
    initResponse: '{"retcode":"SUCCESS"}',
    paymentDatetime: numericTime ? Number(compactTime(paidAt)) : compactTime(paidAt),
    customsPayCompanyName: "通联支付网络服务股份有限公司",
    customsPayCompanyCode: "312228034T",
  };
}

/** yyyyMMddHHmmss in China time, as Payzero writes paymentDatetime. */
export function compactTime(at: Date): string {
  const china = new Date(at.getTime() + 8 * 3600_000);
  return china.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
