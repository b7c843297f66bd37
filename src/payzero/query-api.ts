// Payzero's query API (sections 1, 2.4, 4.3/5.6/6.3 and 9.2): log in once, share the token, renew it
// before it expires or once on a 401/403, query orders and refunds.
import { setTimeout as delay } from "node:timers/promises";
import { PayzeroApiError, PayzeroAuthError, PayzeroHttpError } from "./errors.js";
import { renewAt } from "./jwt.js";
import { type OrderResultDto, parseOrderResult } from "./orderResult.js";
import { parseRefundResult, type RefundResultDto } from "./refund.js";
import { apiUrlProblem, callApi, type Transport } from "./transport.js";

export { PayzeroApiError, PayzeroAuthError, PayzeroHttpError } from "./errors.js";

/** An orderResultDto (section 2.4) as JSON, the way Payzero sends it. */
export type OrderResultJson = { mchtOrderNo: string; [field: string]: unknown };

/**
 * Payzero's single-order queries, both answering an orderResultDto: /order/queryOrder for QR, quick-pay
 * and mock-pay orders (sections 4.3, 5.6, 6.3), /order/feedback for auto-pay and batch orders (2.4).
 */
const QUERY_PATHS = ["/order/queryOrder", "/order/feedback"] as const;
export type QueryPath = (typeof QUERY_PATHS)[number];

/** An answer of a query: the data as Payzero returned it (JSON text), read, and the path that gave it. */
export interface QueriedOrder {
  msgBody: string;
  dto: OrderResultDto;
  path: QueryPath;
}

/** An answer of the refund status query (9.2): the data as Payzero returned it (JSON text), and read. */
export interface QueriedRefund {
  msgBody: string;
  dto: RefundResultDto;
}

const REFUND_PATH = "/order/refund";

export interface PayzeroClientOptions {
  baseUrl: string;
  appId: string;
  appKey: string;
  /** One HTTP call; default 10 s. */
  timeoutMs?: number;
  /** Retries of a transient failure; default 2. */
  retries?: number;
  /** First retry delay, doubled each time; default 500 ms. */
  backoffMs?: number;
  fetch?: typeof fetch;
  /** Queries tried in turn until one knows the order; default both of QUERY_PATHS. */
  queryPaths?: readonly QueryPath[];
  /** A monotonic clock in ms, timing the token's lifetime from the login; default performance.now. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class PayzeroClient {
  readonly #transport: Transport;
  readonly #credentials: string;
  readonly #now: () => number;
  readonly #queryPaths: readonly QueryPath[];
  #token: { value: string; renewAt: number } | null = null;
  #login: Promise<string> | null = null;

  constructor(options: PayzeroClientOptions) {
    const problem = apiUrlProblem(options.baseUrl);
    if (problem) throw new Error(`Payzero's API URL ${problem}`);
    this.#transport = {
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 2,
      backoffMs: options.backoffMs ?? 500,
      fetch: options.fetch ?? globalThis.fetch,
      sleep: options.sleep ?? ((ms: number) => delay(ms)),
    };
    this.#credentials = JSON.stringify({ username: options.appId, password: options.appKey });
    this.#now = options.now ?? (() => performance.now());
    this.#queryPaths = options.queryPaths?.length ? options.queryPaths : QUERY_PATHS;
  }

  /**
   * The order as Payzero knows it now, from the first query path that knows it: an answer that it does
   * not (knowsNot) moves on to the next path. Throws the last path's error: PayzeroApiError when it
   * answered a business error or no data (the order is unknown to Payzero), PayzeroAuthError or
   * PayzeroHttpError.
   */
  async queryOrder(mchtOrderNo: string): Promise<QueriedOrder> {
    for (const [i, path] of this.#queryPaths.entries()) {
      try {
        return await this.#queryAt(path, mchtOrderNo);
      } catch (err) {
        if (!knowsNot(err) || i === this.#queryPaths.length - 1) throw err;
      }
    }
    throw new Error("no query path configured");
  }

  /**
   * The refund as Payzero knows it now (section 9.2). Throws PayzeroApiError when Payzero answered a
   * business error or no data (it does not know the refund), PayzeroAuthError or PayzeroHttpError.
   */
  async queryRefund(mchtRefundOrderNo: string): Promise<QueriedRefund> {
    const data = await this.#authorizedGet(
      `${REFUND_PATH}?mchtRefundOrderNo=${encodeURIComponent(mchtRefundOrderNo)}`,
    );
    if (data === null)
      throw new PayzeroApiError(null, "success with no data: the refund is not known", REFUND_PATH);
    const parsed = parseRefundResult(data);
    if (!parsed.ok) throw new PayzeroHttpError(200, REFUND_PATH, `data is not a refund: ${parsed.problem}`);
    if (parsed.dto.mchtRefundOrderNo !== mchtRefundOrderNo)
      throw new PayzeroHttpError(
        200,
        REFUND_PATH,
        `the answer is about another refund (${parsed.dto.mchtRefundOrderNo})`,
      );
    return { msgBody: JSON.stringify(data), dto: parsed.dto };
  }

  async #queryAt(queryPath: QueryPath, mchtOrderNo: string): Promise<QueriedOrder> {
    const data = await this.#authorizedGet(`${queryPath}?mchtOrderNo=${encodeURIComponent(mchtOrderNo)}`);
    return asOrder(data, mchtOrderNo, queryPath);
  }

  /** A GET with the shared token, renewed once when refused. */
  async #authorizedGet(path: string): Promise<unknown> {
    const token = await this.#currentToken();
    let data: unknown;
    try {
      data = await this.#get(path, token);
    } catch (err) {
      if (!isRefused(err)) throw err;
      // Expired or revoked: renew once. A second refusal is an error, never a loop.
      if (this.#token?.value === token) this.#token = null;
      try {
        data = await this.#get(path, await this.#currentToken());
      } catch (again) {
        if (isRefused(again)) throw new PayzeroAuthError("Payzero refused a freshly obtained token");
        throw again;
      }
    }
    return data;
  }

  #get(path: string, token: string): Promise<unknown> {
    return callApi(this.#transport, path, { method: "GET", headers: { authorization: `Bearer ${token}` } });
  }

  /** The cached token, or one login shared by every caller waiting for it. */
  #currentToken(): Promise<string> {
    if (this.#token && this.#now() < this.#token.renewAt) return Promise.resolve(this.#token.value);
    this.#login ??= this.#logIn().finally(() => {
      this.#login = null;
    });
    return this.#login;
  }

  async #logIn(): Promise<string> {
    const obtainedAt = this.#now();
    let data: unknown;
    try {
      data = await callApi(this.#transport, "/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: this.#credentials,
      });
    } catch (err) {
      if (isRefused(err)) throw new PayzeroAuthError(`Payzero login refused: ${err.message}`);
      if (err instanceof PayzeroApiError)
        throw new PayzeroAuthError(`Payzero login refused: ${err.message}`, err.errorCode);
      throw err;
    }
    const token = data !== null && typeof data === "object" && "token" in data ? data.token : undefined;
    if (typeof token !== "string" || token === "")
      throw new PayzeroAuthError("Payzero login answered no token");
    this.#token = { value: token, renewAt: renewAt(token, obtainedAt) };
    return token;
  }
}

function isRefused(err: unknown): err is PayzeroHttpError {
  return err instanceof PayzeroHttpError && (err.status === 401 || err.status === 403);
}

/**
 * An answer saying this path does not know the order, so another path may: a business error (success
 * false, e.g. "订单不存在"), success with no data, or a 4xx other than a refused token (a 404 …; 429
 * is Payzero asking to slow down, which the next path would hear too).
 */
function knowsNot(err: unknown): boolean {
  if (err instanceof PayzeroApiError) return true;
  const status = err instanceof PayzeroHttpError ? err.status : null;
  return status !== null && status >= 400 && status < 500 && status !== 429;
}

function asOrder(data: unknown, mchtOrderNo: string, path: QueryPath): QueriedOrder {
  if (data === null)
    throw new PayzeroApiError(null, "success with no data: the order is not known here", path);
  const msgBody = JSON.stringify(data) ?? "null";
  const parsed = parseOrderResult(msgBody);
  if (!parsed.ok) throw new PayzeroHttpError(200, path, `data is not an orderResultDto: ${parsed.problem}`);
  if (parsed.dto.mchtOrderNo !== mchtOrderNo)
    throw new PayzeroHttpError(200, path, `the answer is about another order (${parsed.dto.mchtOrderNo})`);
  return { msgBody, dto: parsed.dto, path };
}
