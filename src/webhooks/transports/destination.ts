// Where an attempt sends a delivery, chosen by the endpoint URL's scheme: an HTTP POST (http-post.ts), a
// RabbitMQ publish with publisher confirms (amqp.ts), a NATS JetStream publish (nats.ts), or a
// transaction in the merchant's Postgres (postgres.ts) or MySQL/MariaDB (mysql.ts). The broker
// connections and database pools (one per destination and credentials, per process) live here and
// close with it.
import type { Logger } from "pino";
import type { DestinationPolicy } from "../endpoints/address-rule.js";
import { createAmqpPublisher } from "./amqp.js";
import { destinationKind } from "./broker-url.js";
import { databaseUrlCheck } from "./database.js";
import { postWebhook } from "./http-post.js";
import { createMysqlPublisher, mysqlDriver } from "./mysql.js";
import { createNatsPublisher } from "./nats.js";
import { createPostgresPublisher, postgresDriver } from "./postgres.js";
import { failure, type Publisher } from "./publisher.js";

/** All kinds of destination, one process's broker connections with them. */
export type Destinations = Publisher;

/** `policy`: the address rule every send is held to at connect time (absent: every address allowed). */
export function createDestinations(log?: Logger, policy?: DestinationPolicy): Destinations {
  const http: Publisher = {
    send: (url, message, timeoutMs) => postWebhook(url, message, timeoutMs, policy && { policy }),
    close: async () => {},
  };
  // Made at first use: a process whose endpoints are all HTTP keeps no broker state.
  let amqp: Publisher | undefined;
  let nats: Publisher | undefined;
  let postgres: Publisher | undefined;
  let mysql: Publisher | undefined;
  let closed = false;
  return {
    send(url, message, timeoutMs) {
      if (closed) return Promise.resolve(failure("the delivery worker is stopping"));
      switch (destinationKind(url)) {
        case "http":
          return http.send(url, message, timeoutMs);
        case "amqp":
          amqp ??= createAmqpPublisher(log, policy);
          return amqp.send(url, message, timeoutMs);
        case "nats":
          nats ??= createNatsPublisher(log, policy);
          return nats.send(url, message, timeoutMs);
        case "postgres":
          postgres ??= createPostgresPublisher(log, policy);
          return postgres.send(url, message, timeoutMs);
        case "mysql":
          mysql ??= createMysqlPublisher(log, policy);
          return mysql.send(url, message, timeoutMs);
        default:
          return Promise.resolve(failure(`unsupported url scheme: ${url.slice(0, url.indexOf(":"))}`));
      }
    },
    async close() {
      closed = true;
      await Promise.all([amqp?.close(), nats?.close(), postgres?.close(), mysql?.close()]);
    },
  };
}

/**
 * At save, for a database destination: connects, makes the tables if they do not exist and checks
 * that they fit (the problem, or undefined). Other kinds are checked when sent to.
 */
export function destinationCheck(
  url: string,
  policy: DestinationPolicy,
  timeoutMs: number,
): Promise<string | undefined> {
  const kind = destinationKind(url);
  if (kind === "postgres") return databaseUrlCheck(postgresDriver, url, policy, timeoutMs);
  if (kind === "mysql") return databaseUrlCheck(mysqlDriver, url, policy, timeoutMs);
  return Promise.resolve(undefined);
}
