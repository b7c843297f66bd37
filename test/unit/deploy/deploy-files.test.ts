// What can be checked of the Docker deployment without a Docker engine: the compose file's shape
// and dependencies, the Dockerfile's syntax (dockerfile-utils, the Docker language server's
// validator). That .env.example and docs/configuration.md follow config.ts: test/unit/config-docs.test.ts.
import { readFileSync } from "node:fs";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../../src/config.js";

const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  stop_grace_period?: string;
  env_file?: unknown;
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

describe("docker-compose.yml", () => {
  it("runs Postgres and Redis with volumes and healthchecks, Redis with AOF and noeviction", () => {
    const { postgres, redis } = compose.services;
    expect(postgres?.healthcheck?.test.join(" ")).toMatch(/pg_isready/);
    // Over TCP: on a fresh volume the image's init server answers on the Unix socket only, then
    // restarts; a socket probe calls it healthy then and the migrate one-shot meets ECONNREFUSED.
    expect(postgres?.healthcheck?.test.join(" ")).toMatch(/pg_isready (.* )?(-h|--host)[ =]127\.0\.0\.1/);
    expect(redis?.healthcheck?.test.join(" ")).toMatch(/ping/);
    expect(postgres?.volumes?.[0]).toMatch(/^postgres-data:/);
    expect(redis?.volumes?.[0]).toMatch(/^redis-data:/);
    expect(Object.keys(compose.volumes)).toEqual(["postgres-data", "redis-data"]);
    const args = redis?.command?.join(" ") ?? "";
    expect(args).toMatch(/--appendonly yes/);
    expect(args).toMatch(/--appendfsync always/);
    expect(args).toMatch(/--maxmemory-policy noeviction/);
  });

  it("migrates once, then starts api and worker apart, each waiting for what it needs", () => {
    const { migrate, api, worker } = compose.services;
    expect(migrate?.command).toEqual(["migrate"]);
    expect(migrate?.depends_on?.postgres?.condition).toBe("service_healthy");
    for (const [name, svc] of [
      ["api", api],
      ["worker", worker],
    ] as const) {
      expect(svc?.build, name).toBe(".");
      expect(svc?.command, name).toEqual([name]);
      expect(svc?.depends_on?.migrate?.condition, name).toBe("service_completed_successfully");
      expect(svc?.depends_on?.redis?.condition, name).toBe("service_healthy");
    }
    // Scalable with --scale worker=N: no fixed container name or host port on the worker.
    expect(worker).not.toHaveProperty("container_name");
    expect(worker).not.toHaveProperty("ports");
  });

  it("uses only what docker-compose 1.29 (Debian, Ubuntu) reads as well as Compose v2", () => {
    // 1.29 refuses env_file's long form {path, required} (Compose ≥ 2.24) and needs no version key.
    for (const name of ["migrate", "api", "worker"]) {
      const envFile = compose.services[name]?.env_file;
      expect(envFile, name).toEqual([".env"]);
    }
    expect(compose).not.toHaveProperty("version");
    expect(read("docker-compose.yml")).not.toMatch(/required:|develop:|include:|!reset|!override/);
  });

  it("lets api and worker stop within their own 20 s bound before docker kills them (default 10 s)", () => {
    // A worker holding a webhook POST waits up to WEBHOOK_TIMEOUT_MS (10 s) for it, and more besides.
    const seconds = (d = "10s") => Number(/^(\d+)s$/.exec(d)?.[1] ?? Number.NaN);
    for (const name of ["api", "worker"]) {
      expect(seconds(compose.services[name]?.stop_grace_period), name).toBeGreaterThan(20);
    }
  });

  it("gives every app service a configuration that loadConfig accepts", () => {
    for (const name of ["migrate", "api", "worker"]) {
      const env = Object.fromEntries(
        Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [
          k,
          String(v).replace(/\$\{([A-Z_]+)(:-([^}]*)|:\?[^}]*)?\}/g, (_m, key: string, _d, def?: string) =>
            key === "PAYZERO_SIGN_TOKEN" ? "token" : (def ?? ""),
          ),
        ]),
      );
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  it("has no syntax problems", () => {
    expect(validate(dockerfile)).toEqual([]);
  });

  it("builds in stages on a current Node LTS, runs as non-root with a HEALTHCHECK", () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:(22|24)(-|$)/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    // --omit=dev alone keeps @prisma/client's optional peers (Prisma CLI, TypeScript …: devOptional).
    expect(dockerfile).toMatch(/npm ci --omit=dev --omit=optional/);
  });
});
