// Where the tests get Postgres, Redis, RabbitMQ and NATS on a machine that has Docker but not these
// services: TEST_PG_ADMIN_URL / TEST_REDIS_URL / TEST_RABBITMQ_HOST / TEST_NATS_HOST when set, else
// the local services on their usual ports when they answer (this machine, CI), else containers
// started here with Testcontainers (postgres:17, redis:7, rabbitmq:3, nats:2), shared by every test
// file and removed at the end.
// Imports nothing of env.ts: global-setup.ts sets the environment that env.ts then reads.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { connect } from "node:net";
import { delimiter, join } from "node:path";
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer, Wait } from "testcontainers";

const POSTGRES_IMAGE = "postgres:17";
const REDIS_IMAGE = "redis:7";
const RABBITMQ_IMAGE = "rabbitmq:3";
const NATS_IMAGE = "nats:2";

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

export interface Services {
  pgAdminUrl: string;
  redisUrl: string;
  /** host:port of RabbitMQ (guest/guest) and of NATS with JetStream. */
  rabbitmqHost: string;
  natsHost: string;
  /** The RabbitMQ container started here, whose own rabbitmqctl administers it; none: the PATH's. */
  rabbitmqContainer?: string;
  /** Where each came from, for the run's first line. */
  origin: string;
  stop: () => Promise<void>;
}

/** Resolves TEST_PG_ADMIN_URL and TEST_REDIS_URL, starting containers for what is missing. */
export async function resolveServices(env: NodeJS.ProcessEnv = process.env): Promise<Services> {
  const started: StartedTestContainer[] = [];
  const origins: string[] = [];
  let pgAdminUrl = env.TEST_PG_ADMIN_URL;
  let redisUrl = env.TEST_REDIS_URL;
  // TEST_SERVICES=containers: containers even where local services answer (to check that path).
  const probe = (port: number) => env.TEST_SERVICES !== "containers" && answers("127.0.0.1", port);
  let brokers: Pick<Services, "rabbitmqHost" | "natsHost" | "rabbitmqContainer">;
  try {
    if (pgAdminUrl) origins.push("Postgres from TEST_PG_ADMIN_URL");
    else if (await probe(5432)) {
      pgAdminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";
      origins.push("Postgres on 127.0.0.1:5432");
    } else {
      const pg = await startPostgres();
      started.push(pg);
      pgAdminUrl = `postgresql://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`;
      origins.push(`Postgres in a ${POSTGRES_IMAGE} container`);
    }
    if (redisUrl) origins.push("Redis from TEST_REDIS_URL");
    else if (await probe(6379)) {
      redisUrl = "redis://127.0.0.1:6379/0";
      origins.push("Redis on 127.0.0.1:6379");
    } else {
      const redis = await redisContainer().start();
      started.push(redis);
      redisUrl = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}/0`;
      origins.push(`Redis in a ${REDIS_IMAGE} container`);
    }
    brokers = await resolveBrokers(env, probe, started, origins);
  } catch (err) {
    await Promise.all(started.map((c) => c.stop()));
    throw new Error(
      "tests need Postgres, Redis, RabbitMQ and NATS: set TEST_PG_ADMIN_URL, TEST_REDIS_URL, TEST_RABBITMQ_HOST " +
        "and TEST_NATS_HOST, run them on 127.0.0.1:5432, :6379, :5672 (with rabbitmqctl on the PATH) and :4222, " +
        `or have Docker running (${String(err)})`,
    );
  }
  return {
    pgAdminUrl,
    redisUrl,
    ...brokers,
    origin: origins.join(", "),
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}

type Probe = (port: number) => Promise<boolean> | false;

/**
 * RabbitMQ and NATS, each from its variable, else 127.0.0.1 when it answers (RabbitMQ only with
 * rabbitmqctl on the PATH: the tests make a vhost each), else a container, both started at once.
 */
async function resolveBrokers(
  env: NodeJS.ProcessEnv,
  probe: Probe,
  started: StartedTestContainer[],
  origins: string[],
): Promise<Pick<Services, "rabbitmqHost" | "natsHost" | "rabbitmqContainer">> {
  const rabbitmq = async (): Promise<{ host: string; container?: string }> => {
    if (env.TEST_RABBITMQ_HOST) {
      origins.push("RabbitMQ from TEST_RABBITMQ_HOST");
      return { host: env.TEST_RABBITMQ_HOST };
    }
    if ((await probe(5672)) && onPath("rabbitmqctl", env.PATH)) {
      origins.push("RabbitMQ on 127.0.0.1:5672");
      return { host: "127.0.0.1:5672" };
    }
    const c = await startRabbitmq();
    started.push(c);
    origins.push(`RabbitMQ in a ${RABBITMQ_IMAGE} container`);
    return { host: `${c.getHost()}:${c.getMappedPort(5672)}`, container: c.getId() };
  };
  const nats = async (): Promise<string> => {
    if (env.TEST_NATS_HOST) {
      origins.push("NATS from TEST_NATS_HOST");
      return env.TEST_NATS_HOST;
    }
    if (await probe(4222)) {
      origins.push("NATS on 127.0.0.1:4222");
      return "127.0.0.1:4222";
    }
    const c = await startNats();
    started.push(c);
    origins.push(`NATS in a ${NATS_IMAGE} container`);
    return `${c.getHost()}:${c.getMappedPort(4222)}`;
  };
  const [mq, natsHost] = await Promise.all([rabbitmq(), nats()]);
  return { rabbitmqHost: mq.host, natsHost, ...(mq.container && { rabbitmqContainer: mq.container }) };
}

/** Whether `command` is an executable file in a directory of the PATH (looked up, not run: rabbitmqctl takes seconds). */
function onPath(command: string, path = ""): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// The image lets guest in from other hosts. Ready once its own rabbitmqctl says the node has booted
// (Debian's server, in the stand-in image, logs nothing to stdout to wait for).
function startRabbitmq(): Promise<StartedTestContainer> {
  return new GenericContainer(RABBITMQ_IMAGE)
    .withExposedPorts(5672)
    .withWaitStrategy(Wait.forSuccessfulCommand("rabbitmqctl -q await_startup"))
    .withStartupTimeout(120_000)
    .start();
}

// The image's entrypoint is nats-server; -js turns JetStream on (the official image's default
// command does not).
function startNats(): Promise<StartedTestContainer> {
  return new GenericContainer(NATS_IMAGE)
    .withCommand(["-js"])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .withStartupTimeout(60_000)
    .start();
}

function startPostgres(): Promise<StartedTestContainer> {
  return (
    new GenericContainer(POSTGRES_IMAGE)
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "trust" })
      .withCommand(["postgres", "-c", "fsync=off", "-c", "max_connections=200"])
      .withExposedPorts(5432)
      // Over TCP inside the container: while a fresh data directory is initialised the image runs a
      // server on its Unix socket only, then restarts it.
      .withWaitStrategy(Wait.forSuccessfulCommand("pg_isready -h 127.0.0.1 -U postgres"))
      .withStartupTimeout(120_000)
      .start()
  );
}

const REDIS_ARGS = ["--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction"];

function redisContainer(hostPort?: number): GenericContainer {
  return new GenericContainer(REDIS_IMAGE)
    .withCommand(["redis-server", ...REDIS_ARGS, "--save", ""])
    .withExposedPorts(hostPort === undefined ? 6379 : { container: 6379, host: hostPort })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(60_000);
}

/** Whether a test's own Redis runs as a redis-server process (on the PATH) or in a container. */
export function ownRedisKind(env: NodeJS.ProcessEnv = process.env): "process" | "container" {
  if (env.TEST_OWN_REDIS === "process" || env.TEST_OWN_REDIS === "container") return env.TEST_OWN_REDIS;
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return "process";
  } catch {
    return "container";
  }
}

/** A Redis container of one test, on a fixed host port so that a stop and start keep its URL. */
export interface RedisContainer {
  host: string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  pause: () => Promise<void>;
  unpause: () => Promise<void>;
  remove: () => Promise<void>;
}

export async function startRedisContainer(hostPort: number): Promise<RedisContainer> {
  const started = await redisContainer(hostPort).start();
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(started.getId());
  let paused = false;
  return {
    host: started.getHost(),
    // SIGTERM: Redis writes its AOF and exits, as in an orderly restart.
    stop: async () => {
      if (paused) await container.unpause();
      paused = false;
      await container.stop({ t: 10 });
    },
    start: async () => {
      await container.start();
    },
    // The container's processes frozen: connections stay open, nothing is answered (a hung Redis).
    pause: async () => {
      await container.pause();
      paused = true;
    },
    unpause: async () => {
      if (paused) await container.unpause();
      paused = false;
    },
    remove: async () => {
      await container.remove({ force: true, v: true });
    },
  };
}
