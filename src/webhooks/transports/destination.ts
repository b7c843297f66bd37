// Where an attempt sends a delivery, chosen by the endpoint URL's scheme: an HTTP POST (http-post.ts), a
// RabbitMQ publish with publisher confirms (amqp.ts) or a NATS JetStream publish (nats.ts). The
// broker connections (one per broker and credentials, per process) live here and close with it.
import type { Logger } from "pino";
import type { DestinationPolicy } from "../endpoints/address-rule.js";
import { createAmqpPublisher } from "./amqp.js";
import { destinationKind } from "./broker-url.js";
import { postWebhook } from "./http-post.js";
import { createNatsPublisher } from "./nats.js";
import { failure, type Publisher } from "./publisher.js";

/** All kinds of destination, one process's broker connections with them. */
export type Destinations = Publisher;

/** `policy`: the address rule HTTP sends are held to at connect time (absent: every address allowed). */
export function createDestinations(log?: Logger, policy?: DestinationPolicy): Destinations {
  const http: Publisher = {
    send: (url, message, timeoutMs) => postWebhook(url, message, timeoutMs, policy && { policy }),
    close: async () => {},
  };
  // Made at first use: a process whose endpoints are all HTTP keeps no broker state.
  let amqp: Publisher | undefined;
  let nats: Publisher | undefined;
  let closed = false;
  return {
    send(url, message, timeoutMs) {
      if (closed) return Promise.resolve(failure("the delivery worker is stopping"));
      switch (destinationKind(url)) {
        case "http":
          return http.send(url, message, timeoutMs);
        case "amqp":
          amqp ??= createAmqpPublisher(log);
          return amqp.send(url, message, timeoutMs);
        case "nats":
          nats ??= createNatsPublisher(log);
          return nats.send(url, message, timeoutMs);
        default:
          return Promise.resolve(failure(`unsupported url scheme: ${url.slice(0, url.indexOf(":"))}`));
      }
    },
    async close() {
      closed = true;
      await Promise.all([amqp?.close(), nats?.close()]);
    },
  };
}
