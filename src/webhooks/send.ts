// One HTTP POST to an endpoint, never throwing: the outcome is what an attempt row records.
import type { SignedRequest } from "./payload.js";
import { isSuccess } from "./schedule.js";

export const EXCERPT_BYTES = 1024;

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
}

export async function postWebhook(
  url: string,
  request: SignedRequest,
  timeoutMs: number,
): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const statusCode = response.status === 0 ? null : response.status;
    const responseExcerpt = await readExcerpt(response).catch(() => null);
    const ok = isSuccess(statusCode);
    const error = ok ? null : statusError(statusCode);
    return { ok, statusCode, error, durationMs: elapsed(), responseExcerpt };
  } catch (err) {
    return {
      ok: false,
      statusCode: null,
      error: describeError(err, timeoutMs),
      durationMs: elapsed(),
      responseExcerpt: null,
    };
  }
}

function statusError(statusCode: number | null): string {
  if (statusCode === null) return "redirect not followed";
  return statusCode >= 300 && statusCode < 400
    ? `HTTP ${statusCode} (redirects are not followed)`
    : `HTTP ${statusCode}`;
}

/** The first EXCERPT_BYTES of the body, then the rest is dropped unread. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  if (size === 0) return null;
  // Postgres text cannot hold NUL.
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString("utf8").replaceAll("\u0000", "");
}

export function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError" || err.name === "AbortError") return `timeout after ${timeoutMs} ms`;
    const cause = err.cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code ? `${code}: ${cause.message}` : cause.message;
    }
    return err.message;
  }
  return String(err);
}
