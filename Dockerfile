# One image for every role: api (receiver + /v1), worker, all, migrate.
# Build: the whole toolchain, to generate the Prisma client and compile to dist/.
FROM node:24-slim AS build
# prisma generate looks for libssl to name its engines (none is used: the client runs on
# @prisma/adapter-pg) and warns when it finds none; the build stage only, not shipped.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends openssl >/dev/null \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
RUN npm run build

# Production dependencies, and only what Node loads of them. --omit=optional as well: the lockfile
# marks @prisma/client's optional peers (the Prisma CLI and engines, Studio, TypeScript, pglite …)
# devOptional, which --omit=dev alone keeps (230 MB). No production package has an install script.
# test/unit/deploy/image-deps.test.ts checks this set against what src/ imports.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prune-runtime.mjs ./scripts/
COPY prisma/schema.prisma ./prisma/
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && node scripts/prune-runtime.mjs node_modules prisma/schema.prisma

# The app's files belong to root and are read-only to the user that runs them (node): a compromised
# process cannot rewrite its own code. Nothing is written under /app (compose also runs read_only).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/main.js"]
CMD ["all"]
