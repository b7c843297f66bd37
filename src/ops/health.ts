// Liveness (/healthz: the process answers) and readiness (/readyz: Postgres and Redis answer).
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { errorMessage, withTimeout } from "../util.js";

export type Probe = () => Promise<unknown>;

/** Probes and scrapes come every few seconds: their request lines would bury the ones that matter. */
export const PROBE_LOG_LEVEL = "warn";

export interface HealthOptions {
  probes: Record<string, Probe>;
  timeoutMs?: number;
}

const Health = Type.Object({
  status: Type.Union([Type.Literal("ok"), Type.Literal("unavailable")]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  app.get(
    "/healthz",
    {
      logLevel: PROBE_LOG_LEVEL,
      schema: { description: "The process is up.", tags: ["ops"], response: { 200: Health } },
    },
    async () => ({ status: "ok" as const }),
  );
  app.get(
    "/readyz",
    {
      logLevel: PROBE_LOG_LEVEL,
      schema: {
        description: "Postgres and Redis answer: 200, else 503 naming what is wrong.",
        tags: ["ops"],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const names = Object.keys(opts.probes);
      const results = await Promise.all(names.map((name) => runProbe(opts.probes[name]!, timeoutMs)));
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
      const ok = results.every((r) => r === "ok");
      return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "unavailable", checks });
    },
  );
}

async function runProbe(probe: Probe, timeoutMs: number): Promise<string> {
  try {
    await withTimeout(probe(), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
    return "ok";
  } catch (err) {
    return errorMessage(err);
  }
}
