// The console's one stylesheet, served by the service itself (no CDN, no external fonts). `npm run build`
// copies src/console/assets to dist/console/assets (scripts/copy-assets.mjs).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

export function assetRoutes(app: FastifyInstance): void {
  const css = readFileSync(new URL("./assets/console.css", import.meta.url));
  const etag = `"${createHash("sha256").update(css).digest("base64url").slice(0, 16)}"`;
  app.get(
    "/assets/console.css",
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      reply.header("cache-control", "public, max-age=300").header("etag", etag);
      if (request.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply.type("text/css; charset=utf-8").send(css);
    },
  );
}
