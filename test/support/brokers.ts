// RabbitMQ vhosts and NATS JetStream streams of one test file, made for it and removed after.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect as natsConnect } from "@nats-io/transport-node";
import { connect as amqpConnect, type ChannelModel } from "amqplib";
import { NATS_HOST, RABBITMQ_HOST } from "./env.js";

const run = promisify(execFile);

/**
 * rabbitmqctl of the tests' RabbitMQ (the management plugin may be off): inside the container
 * global-setup started (TEST_RABBITMQ_CONTAINER), else from the PATH. Resolves its output.
 */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const container = process.env.TEST_RABBITMQ_CONTAINER;
  if (!container) return (await run("rabbitmqctl", ["-q", ...args])).stdout;
  const { getContainerRuntimeClient } = await import("testcontainers");
  const client = await getContainerRuntimeClient();
  const result = await client.container.exec(client.container.getById(container), [
    "rabbitmqctl",
    "-q",
    ...args,
  ]);
  if (result.exitCode !== 0) throw new Error(`rabbitmqctl ${args.join(" ")}: ${result.output}`);
  return result.stdout;
}

export interface TestVhost {
  name: string;
  /** amqp://guest:guest@host/<vhost> with these parameters. */
  url: (params: Record<string, string>, hostPort?: string) => string;
  /** A connection of the test's own (to declare, bind and consume). */
  connection: ChannelModel;
  drop: () => Promise<void>;
}

/** A vhost of its own, guest allowed in it. */
export async function createVhost(): Promise<TestVhost> {
  const name = `payzero_test_${randomBytes(4).toString("hex")}`;
  await rabbitmqctl("add_vhost", name);
  await rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
  const url = (params: Record<string, string>, hostPort = RABBITMQ_HOST) =>
    `amqp://guest:guest@${hostPort}/${encodeURIComponent(name)}?${new URLSearchParams(params)}`;
  const connection = await amqpConnect(url({}));
  connection.on("error", () => {});
  return {
    name,
    url,
    connection,
    drop: async () => {
      await connection.close().catch(() => {});
      await rabbitmqctl("delete_vhost", name);
    },
  };
}

export interface TestStream {
  name: string;
  /** The stream covers `${prefix}.>`. */
  prefix: string;
  nc: NatsConnection;
  jsm: JetStreamManager;
  drop: () => Promise<void>;
}

/** A uniquely named stream over a unique subject prefix. */
export async function createStream(duplicateWindowNanos?: number): Promise<TestStream> {
  const suffix = randomBytes(4).toString("hex");
  const name = `PAYZERO_TEST_${suffix}`;
  const prefix = `payzero.test.${suffix}`;
  const nc = await natsConnect({ servers: NATS_HOST });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name,
    subjects: [`${prefix}.>`],
    ...(duplicateWindowNanos !== undefined && { duplicate_window: duplicateWindowNanos }),
  });
  return {
    name,
    prefix,
    nc,
    jsm,
    drop: async () => {
      await jsm.streams.delete(name).catch(() => {});
      await nc.close();
    },
  };
}
