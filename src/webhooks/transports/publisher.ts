// What every kind of destination shares (HTTP, AMQP, NATS): the message it is given, its interface,
// the outcome an attempt records, and how a broker publish becomes one. Pure but for the timer.

import type { SignedRequest } from "../delivery/payload.js";

/** The signed request, and the msgType (an AMQP routing key defaults to it). */
export interface OutgoingMessage extends SignedRequest {
  type: string;
  /**
   * The routing key of an AMQP endpoint whose url names none: set only where the type is one this
   * service vouches for (a type Payzero sends, the console's test event), never a msgType as it came.
   */
  defaultRoutingKey?: string;
}

/** What one send came to: what an attempt row records. */
export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
  /** The response's Retry-After header, when it had one (a 429's pace). */
  retryAfter?: string;
}

/** An error as an attempt's error text: the timeout, or the system error's code and message. */
export function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError" || err.name === "AbortError") return `timeout after ${timeoutMs} ms`;
    const own = (err as NodeJS.ErrnoException).code;
    if (own) return `${own}: ${err.message}`;
    const cause = err.cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code ? `${code}: ${cause.message}` : cause.message;
    }
    return err.message;
  }
  return String(err);
}

/** One way to a kind of destination. `send` never throws: the outcome is what an attempt records. */
export interface Publisher {
  send(url: string, message: OutgoingMessage, timeoutMs: number): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function failure(error: string, durationMs = 0): SendOutcome {
  return { ok: false, statusCode: null, error, durationMs, responseExcerpt: null };
}

/**
 * A broker publish as an outcome: `publish` resolves with what the broker said (the excerpt) or
 * rejects with why it failed; past `timeoutMs` the attempt fails (the publish may still land: the
 * retry carries the same message id, for the consumer or JetStream to drop the duplicate).
 */
export async function publishOutcome(
  publish: () => Promise<string>,
  timeoutMs: number,
  describe: (err: unknown) => string,
): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error("timeout"), { name: "TimeoutError" })),
      timeoutMs,
    );
  });
  try {
    const excerpt = await Promise.race([publish(), timeout]);
    return { ok: true, statusCode: null, error: null, durationMs: elapsed(), responseExcerpt: excerpt };
  } catch (err) {
    const isTimeout = err instanceof Error && err.name === "TimeoutError";
    return failure(isTimeout ? describeError(err, timeoutMs) : describe(err), elapsed());
  } finally {
    clearTimeout(timer);
  }
}

/** The headers a broker message carries: the signature and id headers (and any added later, e.g. tracing), not HTTP's own. */
export function brokerHeaders(message: OutgoingMessage): Record<string, string> {
  const { "content-type": _type, "content-length": _length, "user-agent": _agent, ...rest } = message.headers;
  return rest;
}

/** How long a stop waits for a broker to answer a connection's close; past it the process goes on stopping. */
const CLOSE_WAIT_MS = 5000;

/**
 * Closes every connection a publisher opened (those that failed to open have nothing to close), each
 * given up after CLOSE_WAIT_MS (an unreachable broker never answers); a failed close is only logged.
 */
export async function closeAll<T>(
  connections: Map<string, Promise<T>>,
  close: (connection: T) => Promise<unknown>,
  onError: (err: unknown) => void,
): Promise<void> {
  const open = [...connections.values()];
  connections.clear();
  await Promise.all(
    open.map((opening) =>
      opening.then(
        (connection) => closeWithin(() => close(connection)).catch(onError),
        () => undefined,
      ),
    ),
  );
}

async function closeWithin(close: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_WAIT_MS);
    timer.unref();
  });
  try {
    await Promise.race([close(), waited]);
  } finally {
    clearTimeout(timer);
  }
}
