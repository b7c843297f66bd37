// Headers every console answer carries: a strict Content-Security-Policy (no script at all, nothing from
// another origin), no framing, no sniffing, pages never cached.
import type { FastifyReply, FastifyRequest } from "fastify";

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export async function securityHeaders(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
  reply.header("x-frame-options", "DENY");
  reply.header("x-content-type-options", "nosniff");
  reply.header("referrer-policy", "same-origin");
  reply.header("cross-origin-opener-policy", "same-origin");
  if (!request.url.startsWith("/console/assets/")) reply.header("cache-control", "no-store");
}

/** The request reached us over HTTPS, directly or through a proxy that says so. */
export function cameOverHttps(request: FastifyRequest): boolean {
  if (request.protocol === "https") return true;
  const forwarded = request.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  return first?.toLowerCase() === "https";
}

/** A browser says the request came from another site (a form on a page we did not serve). */
export function crossSite(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.origin;
  if (origin === undefined || origin === "null") return origin === "null";
  try {
    const host = request.headers["x-forwarded-host"] ?? request.headers.host;
    return new URL(origin).host !== (Array.isArray(host) ? host[0] : host);
  } catch {
    return true;
  }
}
