// One HTTP POST to an endpoint, never throwing: the outcome is what an attempt row records.
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { SignedRequest } from "../delivery/payload.js";
import { isSuccess } from "../delivery/retry-schedule.js";
import {
  type DestinationPolicy,
  guardedLookup,
  literalProblem,
  refusedError,
  urlDestination,
} from "../endpoints/address-rule.js";
import { describeError, type SendOutcome } from "./publisher.js";

const EXCERPT_BYTES = 1024;

export interface SendOptions {
  /** The endpoint's own headers; the signed request's headers win over them. */
  headers?: Record<string, string>;
  /** Checked on the addresses the socket connects to (absent: every address allowed). */
  policy?: DestinationPolicy;
}

/**
 * node:http rather than fetch: in the burst profile fetch's web streams cost more than the POST
 * itself. The default agents keep connections alive; redirects are never followed.
 */
export function postWebhook(
  url: string,
  request: SignedRequest,
  timeoutMs: number,
  options: SendOptions = {},
): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = Object.assign(new Error("timeout"), { name: "TimeoutError" });
    let timedOut = false;
    const finish = (outcome: Omit<SendOutcome, "durationMs">) => {
      clearTimeout(timer);
      resolve({ ...outcome, durationMs: elapsed() });
    };
    // Once timed out, whichever error the destroyed socket reports first, the cause is the timeout.
    const fail = (err: unknown) =>
      finish({
        ok: false,
        statusCode: null,
        error: describeError(timedOut ? timeout : err, timeoutMs),
        responseExcerpt: null,
      });
    let req: ClientRequest;
    try {
      const target = new URL(url);
      const send = target.protocol === "https:" ? httpsRequest : httpRequest;
      const headers = {
        ...options.headers,
        ...request.headers,
        "content-length": String(Buffer.byteLength(request.body)),
      };
      const { policy } = options;
      const { host, port } = urlDestination(target);
      const refused = policy && literalProblem(policy, host, port);
      if (refused) throw refusedError(refused);
      const lookup = policy && guardedLookup(policy, port);
      req = send(target, { method: "POST", headers, ...(lookup && { lookup }) }, (response) =>
        readExcerpt(response).then((responseExcerpt) => {
          const statusCode = response.statusCode ?? null;
          const ok = isSuccess(statusCode);
          const retryAfter = response.headers["retry-after"];
          finish({
            ok,
            statusCode,
            error: ok ? null : statusError(statusCode),
            responseExcerpt,
            ...(retryAfter !== undefined && { retryAfter }),
          });
        }, fail),
      );
    } catch (err) {
      fail(err);
      return;
    }
    timer = setTimeout(() => {
      timedOut = true;
      req.destroy(timeout);
    }, timeoutMs);
    req.once("error", fail);
    req.end(request.body);
  });
}

function statusError(statusCode: number | null): string {
  if (statusCode === null) return "redirect not followed";
  return statusCode >= 300 && statusCode < 400
    ? `HTTP ${statusCode} (redirects are not followed)`
    : `HTTP ${statusCode}`;
}

/** The first EXCERPT_BYTES of the body; a longer body is cut off (and its connection closed). */
function readExcerpt(response: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      response.off("data", onData);
      // Postgres text cannot hold NUL.
      const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString("utf8").replaceAll("\u0000", "");
      resolve(size === 0 ? null : text);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size < EXCERPT_BYTES) return;
      response.destroy();
      done();
    };
    response.on("data", onData);
    response.once("end", done);
    response.once("error", reject);
  });
}
