// One call to Payzero's API: timeout, retries with backoff for transient failures, envelope decoding.
// Redirects are not followed: a 307 would send the login's {appId, appKey} to wherever it points.
import { isIP } from "node:net";
import { doublingDelay } from "../util.js";
import { PayzeroApiError, PayzeroError, PayzeroHttpError } from "./errors.js";

/**
 * Why the query API's base URL is refused, or null: https:// is required (it carries the appKey
 * and the token) unless the host is this machine (a simulator, a local TLS proxy).
 */
export function apiUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:" && isLoopback(parsed.hostname)) return null;
  return "must be an https:// URL (http:// only to this machine: localhost, 127.0.0.0/8, [::1])";
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

export interface Transport {
  baseUrl: string;
  timeoutMs: number;
  /** Further attempts after a transient failure (network, timeout, 5xx). */
  retries: number;
  /** Delay before the first retry; doubled for each further one, capped at 30 s. */
  backoffMs: number;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
}

export function backoffDelay(backoffMs: number, attempt: number): number {
  return doublingDelay(attempt + 1, backoffMs, 30_000);
}

/** Resolves to the envelope's `data`; throws a PayzeroError. `path` names the call in errors. */
export async function callApi(t: Transport, path: string, init: RequestInit): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await callOnce(t, path, init);
    } catch (err) {
      if (!(err instanceof PayzeroError && err.transient) || attempt >= t.retries) throw err;
      await t.sleep(backoffDelay(t.backoffMs, attempt));
    }
  }
}

async function callOnce(t: Transport, path: string, init: RequestInit): Promise<unknown> {
  const name = path.split("?")[0] ?? path;
  let status: number;
  let text: string;
  try {
    const res = await t.fetch(`${t.baseUrl.replace(/\/+$/, "")}${path}`, {
      ...init,
      redirect: "manual",
      signal: AbortSignal.timeout(t.timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new PayzeroHttpError(null, name, timedOut ? `no answer within ${t.timeoutMs} ms` : describe(err));
  }
  if (status >= 300 && status < 400) throw new PayzeroHttpError(status, name, "a redirect, not followed");
  if (status < 200 || status >= 300) throw new PayzeroHttpError(status, name, text.slice(0, 200));
  return decodeEnvelope(name, status, text);
}

/** {success, errorCode, errorMsg, data} (技术综述): `data` when success, else a PayzeroApiError. */
export function decodeEnvelope(path: string, status: number, text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PayzeroHttpError(status, path, "the answer is not JSON");
  }
  if (body === null || typeof body !== "object" || !("success" in body) || typeof body.success !== "boolean")
    throw new PayzeroHttpError(status, path, "the answer is not a Payzero envelope");
  if (body.success) return "data" in body ? body.data : null;
  const code = "errorCode" in body ? textOrNull(body.errorCode) : null;
  const msg = "errorMsg" in body ? textOrNull(body.errorMsg) : null;
  throw new PayzeroApiError(code, msg, path);
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}
