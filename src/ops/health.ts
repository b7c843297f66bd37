// Liveness (/healthz: the process answers) and readiness (/readyz: what this listener's routes need
// answers). Readiness takes a process out of its Service: it names only what the listener cannot serve
// without (the receiver: Redis, not Postgres, so a Postgres outage leaves every receiver answering OK);
// what it can do without is checked and reported beside, never turned into a 503.
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { errorMessage, withTimeout } from "../util.js";

export type Probe = () => Promise<unknown>;

/** Probes and scrapes come every few seconds: their request lines would bury the ones that matter. */
export const PROBE_LOG_LEVEL = "warn";

export interface HealthOptions {
  /** What the listener's routes need: any of them failing makes /readyz 503. */
  probes: Record<string, Probe>;
  /** Checked and named in the answer, but the listener serves its main route without them. */
  reported?: Record<string, Probe>;
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
        description:
          "What this process needs to serve its main route answers (the receiver: Redis; a worker: Postgres and Redis): 200, else 503. Every check is named with its result.",
        tags: ["ops"],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const needed = Object.keys(opts.probes);
      const all = { ...opts.reported, ...opts.probes };
      const names = Object.keys(all);
      const failures = await Promise.all(names.map((name) => runProbe(all[name]!, timeoutMs)));
      // The app's logger, not the request's: the route's PROBE_LOG_LEVEL would raise a LOG_LEVEL of error.
      for (const [i, err] of failures.entries())
        if (err) app.log.warn({ err, probe: names[i] }, "readiness probe failed");
      const checks = Object.fromEntries(
        names.map((name, i) => [name, failures[i] ? errorMessage(failures[i]) : "ok"]),
      );
      const ok = names.every((name, i) => failures[i] === undefined || !needed.includes(name));
      return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "unavailable", checks });
    },
  );
}

/** The probe's error, or undefined when it answered in time. */
async function runProbe(probe: Probe, timeoutMs: number): Promise<unknown> {
  try {
    await withTimeout(probe(), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
    return undefined;
  } catch (err) {
    return err ?? new Error("probe failed");
  }
}
