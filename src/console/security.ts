// Headers every console answer carries: a strict Content-Security-Policy (no script at all, nothing from
// another origin), no framing, no sniffing, pages never cached; HSTS over HTTPS. Forwarded headers
// (X-Forwarded-Proto, -Host) count only from a proxy TRUST_PROXY names: Fastify's request.protocol
// and request.host read them then, and ignore them otherwise.
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
  if (cameOverHttps(request)) reply.header("strict-transport-security", "max-age=31536000");
}

/** The request reached us over HTTPS, directly or through a trusted proxy (TRUST_PROXY) that says so. */
export function cameOverHttps(request: FastifyRequest): boolean {
  return request.protocol === "https";
}

/** A browser says the request came from another site (a form on a page we did not serve). */
export function crossSite(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.origin;
  if (origin === undefined || origin === "null") return origin === "null";
  try {
    return new URL(origin).host !== request.host;
  } catch {
    return true;
  }
}
