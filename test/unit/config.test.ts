import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, type ConfigRole, loadConfig, SETTINGS } from "../../src/config.js";

/** The values `cp .env.example .env` leaves, as compose would pass them. */
function exampleValue(name: string): string {
  const text = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
  const line = new RegExp(`^${name}=(.*)$`, "m").exec(text);
  if (!line) throw new Error(`.env.example sets no ${name}`);
  return line[1]!.trim();
}

const problemsOf = (env: NodeJS.ProcessEnv, role?: ConfigRole): string => {
  try {
    loadConfig(env, role);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join("\n");
    throw err;
  }
  return "";
};

describe("loadConfig", () => {
  it("needs PAYZERO_SIGN_TOKEN for the receiver and names it", () => {
    expect(() => loadConfig({}, "api")).toThrow(ConfigError);
    expect(() => loadConfig({}, "api")).toThrow(/PAYZERO_SIGN_TOKEN is required/);
  });

  it("applies defaults and splits comma-separated tokens", () => {
    const c = loadConfig({ PAYZERO_SIGN_TOKEN: " new , old ," });
    expect(c.signTokens).toEqual(["new", "old"]);
    expect(c.port).toBe(3000);
    expect(c.notifyPath).toBe("/payzero/notify");
    expect(c.webhookRetrySchedule).toEqual([5, 30, 120, 600, 1800, 7200, 21600, 43200]);
  });

  it("refuses a token list with no token", () => {
    expect(() => loadConfig({ PAYZERO_SIGN_TOKEN: " , " })).toThrow(/names no token/);
  });

  it("names every bad setting at once", () => {
    try {
      loadConfig({ PAYZERO_SIGN_TOKEN: "t", PORT: "http", LOG_LEVEL: "loud", WEBHOOK_RETRY_SCHEDULE: "5,x" });
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems.join("\n");
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/LOG_LEVEL/);
      expect(problems).toMatch(/WEBHOOK_RETRY_SCHEDULE/);
      // What a valid value looks like, not the pattern behind it.
      expect(problems).toContain(
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      );
      expect(problems).toContain(
        'WEBHOOK_RETRY_SCHEDULE must be whole numbers of seconds, comma-separated (got "5,x")',
      );
    }
  });

  it("refuses URLs of the wrong kind", () => {
    expect(() => loadConfig({ PAYZERO_SIGN_TOKEN: "t", DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ PAYZERO_SIGN_TOKEN: "t", REDIS_URL: "http://x" })).toThrow(/REDIS_URL/);
    // The query API carries the appKey: http:// only to this machine.
    expect(() => loadConfig({ PAYZERO_API_URL: "http://api.payzero.cn" })).toThrow(
      /PAYZERO_API_URL must be an https:\/\/ URL/,
    );
    expect(loadConfig({ PAYZERO_API_URL: "http://127.0.0.1:4010" }).payzeroApi).toBeNull();
  });

  it("reads TRUST_PROXY as nothing, a hop count or addresses, and refuses a short SESSION_SECRET", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }).trustProxy).toEqual([
      "10.0.0.0/8",
      "127.0.0.1",
    ]);
    expect(() => loadConfig({ TRUST_PROXY: "proxy.internal" })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ SESSION_SECRET: "short" })).toThrow(/SESSION_SECRET must be 32 characters/);
  });

  it("refuses the compose stack's example Postgres and Redis passwords, never echoing the URL", () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return "";
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refused({ DATABASE_URL: "postgresql://postgres:payzero@postgres:5432/payzero_notify" })).toMatch(
      /DATABASE_URL holds an example password/,
    );
    expect(refused({ REDIS_URL: "redis://:change-me@redis:6379/0" })).toMatch(
      /REDIS_URL holds an example password/,
    );
    expect(refused({ DATABASE_URL: "postgresql://postgres:payzero@db/x" })).not.toContain("payzero@");
    expect(refused({ DATABASE_URL: "postgresql://postgres:Zq9v-random@db/x" })).toBe("");
  });

  it("reads ADMIN_PORT as a port, empty as one listener", () => {
    expect(loadConfig({}).adminPort).toBeUndefined();
    expect(loadConfig({ ADMIN_PORT: "3001" }).adminPort).toBe(3001);
    expect(() => loadConfig({ ADMIN_PORT: "70000" })).toThrow(/ADMIN_PORT/);
    expect(() => loadConfig({ ADMIN_PORT: "x" })).toThrow(/ADMIN_PORT/);
  });

  it("reads switches as true or false only", () => {
    const base = { PAYZERO_SIGN_TOKEN: "t" };
    expect(loadConfig(base).reconcile.awaitDeclaration).toBe(true);
    expect(loadConfig({ ...base, RECONCILE_AWAIT_DECLARATION: "false" }).reconcile.awaitDeclaration).toBe(
      false,
    );
    expect(() => loadConfig({ ...base, RECONCILE_AWAIT_DECLARATION: "no" })).toThrow(
      /RECONCILE_AWAIT_DECLARATION/,
    );
  });

  it("reads the query paths in order, both by default, and refuses any other", () => {
    const base = {
      PAYZERO_SIGN_TOKEN: "t",
      PAYZERO_API_URL: "https://p",
      PAYZERO_APP_ID: "a",
      PAYZERO_APP_KEY: "k",
    };
    expect(loadConfig(base).payzeroApi?.queryPaths).toEqual(["/order/queryOrder", "/order/feedback"]);
    expect(
      loadConfig({ ...base, PAYZERO_QUERY_PATHS: " /order/feedback , /order/queryOrder" }).payzeroApi
        ?.queryPaths,
    ).toEqual(["/order/feedback", "/order/queryOrder"]);
    expect(loadConfig({ ...base, PAYZERO_QUERY_PATHS: "/order/feedback" }).payzeroApi?.queryPaths).toEqual([
      "/order/feedback",
    ]);
    for (const bad of ["/order/declare", "/order/queryOrder,", "queryOrder"])
      expect(() => loadConfig({ ...base, PAYZERO_QUERY_PATHS: bad })).toThrow(/PAYZERO_QUERY_PATHS/);
    expect(loadConfig(base).reconcile.unknownOrderSeconds).toBe(86_400);
  });

  it("bounds the secret overlap to a week", () => {
    const base = { PAYZERO_SIGN_TOKEN: "t" };
    expect(loadConfig(base).webhookSecretOverlapSeconds).toBe(86_400);
    expect(loadConfig({ ...base, WEBHOOK_SECRET_OVERLAP_SECONDS: "0" }).webhookSecretOverlapSeconds).toBe(0);
    expect(() => loadConfig({ ...base, WEBHOOK_SECRET_OVERLAP_SECONDS: "604801" })).toThrow(
      /WEBHOOK_SECRET_OVERLAP_SECONDS/,
    );
  });

  it("refuses to start with each example sign token of .env.example, alone or in a list, naming the setting", () => {
    const tokens = exampleValue("PAYZERO_SIGN_TOKEN")
      .split(",")
      .map((t) => t.trim());
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) {
      expect(problemsOf({ PAYZERO_SIGN_TOKEN: token }), token).toMatch(/^PAYZERO_SIGN_TOKEN .*example/);
      expect(problemsOf({ PAYZERO_SIGN_TOKEN: `real-token-1, ${token}` }), token).toMatch(
        /PAYZERO_SIGN_TOKEN/,
      );
    }
    expect(problemsOf({ PAYZERO_SIGN_TOKEN: "" }, "api")).toMatch(/PAYZERO_SIGN_TOKEN is required/);
  });

  it("refuses the example ADMIN_TOKEN and one shorter than 16 characters, keeps an empty one (/v1 closed)", () => {
    const base = { PAYZERO_SIGN_TOKEN: "t" };
    const example = exampleValue("ADMIN_TOKEN");
    expect(example).not.toBe("");
    expect(problemsOf({ ...base, ADMIN_TOKEN: example })).toMatch(/^ADMIN_TOKEN .*example/);
    expect(problemsOf({ ...base, ADMIN_TOKEN: "a".repeat(15) })).toMatch(/^ADMIN_TOKEN .*16 characters/);
    expect(loadConfig({ ...base, ADMIN_TOKEN: "a".repeat(16) }).adminToken).toBe("a".repeat(16));
    expect(loadConfig({ ...base, ADMIN_TOKEN: "" }).adminToken).toBe("");
  });

  it("names both weak secrets at once and never echoes them", () => {
    const problems = problemsOf({
      PAYZERO_SIGN_TOKEN: exampleValue("PAYZERO_SIGN_TOKEN"),
      ADMIN_TOKEN: "short-secret",
    });
    expect(problems).toMatch(/PAYZERO_SIGN_TOKEN/);
    expect(problems).toMatch(/ADMIN_TOKEN/);
    expect(problems).not.toContain("short-secret");
  });
});

describe("METRICS_TOKEN", () => {
  const base = { PAYZERO_SIGN_TOKEN: "t" };

  it("is empty by default (/metrics open), and kept when long enough", () => {
    expect(loadConfig(base).metricsToken).toBe("");
    expect(loadConfig({ ...base, METRICS_TOKEN: "m".repeat(16) }).metricsToken).toBe("m".repeat(16));
  });

  it("refuses the example value, one shorter than 16 characters, and ADMIN_TOKEN's value, never echoing them", () => {
    expect(problemsOf({ ...base, METRICS_TOKEN: exampleValue("ADMIN_TOKEN") })).toMatch(
      /^METRICS_TOKEN .*example/,
    );
    const short = problemsOf({ ...base, METRICS_TOKEN: "scrape-me" });
    expect(short).toMatch(/^METRICS_TOKEN .*16 characters/);
    expect(short).not.toContain("scrape-me");
    const shared = "s".repeat(24);
    expect(problemsOf({ ...base, ADMIN_TOKEN: shared, METRICS_TOKEN: shared })).toMatch(
      /^METRICS_TOKEN equals ADMIN_TOKEN/,
    );
  });
});

describe("the notify path's bound", () => {
  const base = { PAYZERO_SIGN_TOKEN: "t" };

  it("keeps ENQUEUE_TIMEOUT_MS under 4500 ms, so OK reaches Payzero within its 5 s", () => {
    expect(loadConfig(base).enqueueTimeoutMs).toBe(2000);
    expect(loadConfig({ ...base, ENQUEUE_TIMEOUT_MS: "4499" }).enqueueTimeoutMs).toBe(4499);
    for (const ms of ["4500", "5000", "60000"]) {
      try {
        loadConfig({ ...base, ENQUEUE_TIMEOUT_MS: ms });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        const [problem, ...others] = (err as ConfigError).problems;
        expect(others).toEqual([]);
        expect(problem).toMatch(/^ENQUEUE_TIMEOUT_MS .*4499/);
        expect(problem).toContain(`(got "${ms}")`);
        expect(problem).toMatch(/Payzero waits 5 s/);
      }
    }
  });
});

describe("Redis Sentinel and Cluster settings", () => {
  const base = { PAYZERO_SIGN_TOKEN: "t" };

  it("reads Sentinels and the master's name, and waits for one replica by default", () => {
    const c = loadConfig({
      ...base,
      REDIS_SENTINELS: "10.0.0.1:26379, [::1]:26380",
      REDIS_SENTINEL_NAME: "m",
    });
    expect(c.redisSentinels).toEqual([
      { host: "10.0.0.1", port: 26379 },
      { host: "::1", port: 26380 },
    ]);
    expect(c.redisSentinelName).toBe("m");
    expect(c.redisMinReplicasAck).toBe(1);
    expect(c.redisPrefix).toBe("pzn");
  });

  it("waits for no replica with a lone REDIS_URL unless told to, and 0 turns the wait off", () => {
    expect(loadConfig(base).redisMinReplicasAck).toBe(0);
    expect(loadConfig({ ...base, REDIS_MIN_REPLICAS_ACK: "2" }).redisMinReplicasAck).toBe(2);
    const sentinel = { ...base, REDIS_SENTINELS: "s:26379", REDIS_SENTINEL_NAME: "m" };
    expect(loadConfig({ ...sentinel, REDIS_MIN_REPLICAS_ACK: "0" }).redisMinReplicasAck).toBe(0);
    expect(problemsOf({ ...base, REDIS_MIN_REPLICAS_ACK: "-1" })).toMatch(/REDIS_MIN_REPLICAS_ACK/);
  });

  it("needs the master's name with Sentinels, and refuses Sentinel and Cluster together", () => {
    expect(problemsOf({ ...base, REDIS_SENTINELS: "s:26379" })).toMatch(/REDIS_SENTINEL_NAME is required/);
    expect(
      problemsOf({
        ...base,
        REDIS_SENTINELS: "s:26379",
        REDIS_SENTINEL_NAME: "m",
        REDIS_CLUSTER_NODES: "c:6379",
      }),
    ).toMatch(/both set/);
    expect(problemsOf({ ...base, REDIS_SENTINELS: "s" })).toMatch(/REDIS_SENTINELS/);
    expect(problemsOf({ ...base, REDIS_CLUSTER_NODES: "c:70000" })).toMatch(/port 70000/);
  });

  it("hash-tags the default prefix with Cluster and refuses a set prefix without a tag, or a db", () => {
    const cluster = { ...base, REDIS_CLUSTER_NODES: "c1:6379,c2:6379" };
    const c = loadConfig(cluster);
    expect(c.redisClusterNodes).toHaveLength(2);
    expect(c.redisPrefix).toBe("{pzn}");
    expect(c.redisMinReplicasAck).toBe(1);
    expect(loadConfig({ ...cluster, REDIS_PREFIX: "app:{pzn}" }).redisPrefix).toBe("app:{pzn}");
    expect(problemsOf({ ...cluster, REDIS_PREFIX: "app" })).toMatch(
      /REDIS_PREFIX must hold a hash tag.*\{app\}/,
    );
    expect(problemsOf({ ...cluster, REDIS_URL: "redis://c1:6379/2" })).toMatch(/db 2/);
  });
});

describe("each role requires what it reads, and only that", () => {
  const key = Buffer.alloc(32, 7).toString("base64");
  const required = (env: NodeJS.ProcessEnv, role: ConfigRole) =>
    problemsOf(env, role)
      .split("\n")
      .filter((p) => / is required/.test(p))
      .map((p) => p.split(" ")[0]);

  it("the receiver and the worker (which verifies queued signs again) need the sign token and the keys; migrate and the CLI neither", () => {
    expect(required({}, "api")).toEqual(["PAYZERO_SIGN_TOKEN", "ENCRYPTION_KEYS"]);
    expect(required({}, "all")).toEqual(["PAYZERO_SIGN_TOKEN", "ENCRYPTION_KEYS"]);
    expect(required({}, "worker")).toEqual(["PAYZERO_SIGN_TOKEN", "ENCRYPTION_KEYS"]);
    expect(required({ PAYZERO_SIGN_TOKEN: "t", ENCRYPTION_KEYS: " , " }, "api")).toEqual(["ENCRYPTION_KEYS"]);
    for (const role of ["migrate", "cli"] as const) {
      const c = loadConfig({}, role);
      expect(c.signTokens, role).toEqual([]);
      expect(c.encryptionKeys, role).toEqual([]);
    }
    expect(
      loadConfig({ PAYZERO_SIGN_TOKEN: "t", ENCRYPTION_KEYS: key }, "worker").encryptionKeys,
    ).toHaveLength(1);
    expect(loadConfig({ PAYZERO_SIGN_TOKEN: "t", ENCRYPTION_KEYS: key }, "all").signTokens).toEqual(["t"]);
  });

  it("says why the keys are required, as the webhooks' keyring does", () => {
    expect(problemsOf({ PAYZERO_SIGN_TOKEN: "t" }, "api")).toMatch(
      /^ENCRYPTION_KEYS is required: it seals .*openssl rand -base64 32/,
    );
  });

  it("names at once what a copy of .env.example lacks and the example values it holds", () => {
    const example = {
      PAYZERO_SIGN_TOKEN: exampleValue("PAYZERO_SIGN_TOKEN"),
      ADMIN_TOKEN: exampleValue("ADMIN_TOKEN"),
      ENCRYPTION_KEYS: exampleValue("ENCRYPTION_KEYS"),
    };
    const problems = problemsOf(example, "all").split("\n");
    expect(problems.map((p) => p.split(" ").slice(0, 2).join(" "))).toEqual([
      "ENCRYPTION_KEYS is",
      "PAYZERO_SIGN_TOKEN holds",
      "ADMIN_TOKEN holds",
    ]);
  });

  it("checks every value given whatever the role: one .env serves them all", () => {
    expect(problemsOf({ PAYZERO_SIGN_TOKEN: "change-me" }, "cli")).toMatch(/^PAYZERO_SIGN_TOKEN .*example/);
    expect(problemsOf({ PORT: "http" }, "migrate")).toMatch(/^PORT /);
    expect(problemsOf({ PAYZERO_SIGN_TOKEN: " , " }, "worker")).toMatch(/^PAYZERO_SIGN_TOKEN names no token/);
  });

  it("never shows a secret setting's value, and shows the others'", () => {
    const problems = problemsOf({
      DATABASE_URL: "mysql://user:db-password@x",
      REDIS_URL: "http://:redis-password@x",
      PAYZERO_API_URL: "ftp://api-secret@x",
      PORT: "http",
    });
    for (const name of ["DATABASE_URL", "REDIS_URL", "PAYZERO_API_URL"]) expect(problems).toMatch(name);
    for (const secret of ["db-password", "redis-password", "api-secret"])
      expect(problems).not.toContain(secret);
    expect(problems).toContain('PORT must be integer (got "http")');
  });
});

describe("SETTINGS", () => {
  it("declares each setting with a description and the roles that read it; a role requires only what it reads", () => {
    for (const [name, s] of Object.entries(SETTINGS)) {
      expect(s.doc.length, name).toBeGreaterThan(10);
      expect(s.roles.length, name).toBeGreaterThan(0);
      for (const role of s.required?.by ?? []) expect(s.roles, name).toContain(role);
    }
  });

  it("reads NODE_ENV through the configuration (the logger's JSON or readable lines)", () => {
    expect(loadConfig({}).nodeEnv).toBe("");
    expect(loadConfig({ NODE_ENV: "production" }).nodeEnv).toBe("production");
  });
});
