// Typed failures of Payzero's query API (技术综述: HTTP status first, then the {success, errorCode, errorMsg} envelope).

export class PayzeroError extends Error {
  /** A retry may succeed (network failure, timeout, 5xx). */
  readonly transient: boolean = false;
}

/** The API answered `success: false`: a business error, never retried. */
export class PayzeroApiError extends PayzeroError {
  constructor(
    readonly errorCode: string | null,
    readonly errorMsg: string | null,
    readonly path: string,
  ) {
    super(`Payzero ${path}: ${errorCode ?? "no code"} ${errorMsg ?? ""}`.trim());
    this.name = "PayzeroApiError";
  }
}

/** Login refused, or a query still refused (401/403) with a freshly obtained token. */
export class PayzeroAuthError extends PayzeroError {
  constructor(
    message: string,
    readonly errorCode: string | null = null,
  ) {
    super(message);
    this.name = "PayzeroAuthError";
  }
}

/** No usable HTTP answer: a network failure or timeout (status null), an unexpected status or body. */
export class PayzeroHttpError extends PayzeroError {
  override readonly transient: boolean;

  constructor(
    readonly status: number | null,
    readonly path: string,
    detail: string,
  ) {
    super(`Payzero ${path}: ${status === null ? "" : `HTTP ${status} `}${detail}`);
    this.name = "PayzeroHttpError";
    this.transient = status === null || status >= 500;
  }
}
