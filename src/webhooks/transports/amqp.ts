// RabbitMQ destinations: a persistent, mandatory publish on a confirm channel, successful when the
// broker confirms it. One connection per broker URL (host, port, vhost, credentials) per process,
// opened on first use and again on the next attempt after it closed; one confirm channel per
// exchange on it, so a channel the broker closes (404: no such exchange) fails that exchange's
// publishes only, and the next attempt opens a new one.
import { type ChannelModel, type ConfirmChannel, connect, type Message } from "amqplib";
import type { Logger } from "pino";
import { throttledLog } from "../../ops/log-throttle.js";
import {
  type DestinationPolicy,
  guardedLookup,
  literalProblem,
  refusedError,
  urlDestination,
} from "../endpoints/address-rule.js";
import { amqpTarget } from "./broker-url.js";
import {
  brokerHeaders,
  closeAll,
  describeError,
  type OutgoingMessage,
  type Publisher,
  publishOutcome,
} from "./publisher.js";

/**
 * An endpoint without a routingKey publishes under the message's type, but only where the sender of
 * the message (attempt.ts) vouches for it: msgType is not signed, so a type other than Payzero's is
 * the poster's choice. An endpoint that names such a type in its msgTypes filter must set ?routingKey=;
 * without one the attempt fails, saying so, and nothing is published.
 */
function routingKeyOf(message: OutgoingMessage): string {
  if (message.defaultRoutingKey !== undefined) return message.defaultRoutingKey;
  throw new Error(
    `msgType ${JSON.stringify(message.type.slice(0, 64))} is not one Payzero sends, so it is no routing key: set ?routingKey= in the endpoint's url`,
  );
}

/** A publish waiting for its confirm; `returned` is set when the broker returned it unroutable. */
interface InFlight {
  messageId: string;
  routingKey: string;
  returned: string | null;
}

interface ExchangeChannel {
  channel: ConfirmChannel;
  inFlight: Set<InFlight>;
  /** Why the broker closed the channel (e.g. 404 NOT_FOUND), for the publishes it fails. */
  closeError: Error | null;
}

interface Broker {
  model: ChannelModel;
  channels: Map<string, Promise<ExchangeChannel>>;
  blocked: string | null;
}

/** `policy`: the address rule, checked on the addresses the socket connects to (absent: every address allowed). */
export function createAmqpPublisher(log?: Logger, policy?: DestinationPolicy): Publisher {
  const brokers = new Map<string, Promise<Broker>>();
  let closing = false;
  // A broker that is down fails every connection the same way: one line, then a count a minute.
  const noisy = log && throttledLog(log);

  function brokerFor(connectionUrl: string, timeoutMs: number): Promise<Broker> {
    let broker = brokers.get(connectionUrl);
    if (!broker) {
      const opening = open(connectionUrl, timeoutMs, () => forget(brokers, connectionUrl, opening));
      broker = opening;
      brokers.set(connectionUrl, opening);
      // A failed connect is forgotten: the next attempt tries again.
      opening.catch(() => forget(brokers, connectionUrl, opening));
    }
    return broker;
  }

  async function open(connectionUrl: string, timeoutMs: number, onClose: () => void): Promise<Broker> {
    const { host, port } = urlDestination(new URL(connectionUrl));
    const literal = policy && literalProblem(policy, host, port);
    if (literal) throw refusedError(literal);
    const model = await connect(connectionUrl, {
      timeout: timeoutMs,
      clientProperties: { connection_name: "payzero-notify" },
      // amqplib hands its socket options to net.connect / tls.connect: a name is checked as it resolves.
      ...(policy && { lookup: guardedLookup(policy, port) }),
    });
    const broker: Broker = { model, channels: new Map(), blocked: null };
    // Without an 'error' listener a lost connection would be an unhandled 'error' event: a crash.
    model.on("error", (err: Error) => noisy?.warn({ err }, "RabbitMQ connection error"));
    model.on("close", () => {
      onClose();
      if (!closing) noisy?.warn({}, "RabbitMQ connection closed; the next attempt reconnects");
    });
    model.on("blocked", (reason: string) => {
      broker.blocked = reason;
    });
    model.on("unblocked", () => {
      broker.blocked = null;
    });
    // Stopped while connecting: close() did not see this connection.
    if (closing) await model.close();
    return broker;
  }

  function channelFor(broker: Broker, exchange: string): Promise<ExchangeChannel> {
    let channel = broker.channels.get(exchange);
    if (!channel) {
      const opening = openChannel(broker, () => forget(broker.channels, exchange, opening));
      channel = opening;
      broker.channels.set(exchange, opening);
      opening.catch(() => forget(broker.channels, exchange, opening));
    }
    return channel;
  }

  async function openChannel(broker: Broker, onClose: () => void): Promise<ExchangeChannel> {
    const channel = await broker.model.createConfirmChannel();
    const state: ExchangeChannel = { channel, inFlight: new Set(), closeError: null };
    channel.on("error", (err: Error) => {
      state.closeError = err;
    });
    channel.on("close", onClose);
    // Sent before the confirm of the same message: the publish then fails as unroutable.
    channel.on("return", (returned: Message) => {
      // basic.return's fields; amqplib's types name only the ones deliveries share.
      const fields = returned.fields as Message["fields"] & { replyCode?: number; replyText?: string };
      const match = [...state.inFlight].find(
        (p) =>
          p.returned === null &&
          p.messageId === returned.properties.messageId &&
          p.routingKey === returned.fields.routingKey,
      );
      if (match)
        match.returned = `unroutable: RabbitMQ returned the message (${fields.replyCode} ${fields.replyText}): no queue is bound for routing key "${returned.fields.routingKey}"`;
    });
    return state;
  }

  async function publish(url: string, message: OutgoingMessage, timeoutMs: number): Promise<string> {
    const target = amqpTarget(url);
    const broker = await brokerFor(target.connectionUrl, timeoutMs);
    const state = await channelFor(broker, target.exchange);
    const headers = brokerHeaders(message);
    const messageId = headers["webhook-id"] ?? "";
    const routingKey = target.routingKey ?? routingKeyOf(message);
    const inFlight: InFlight = { messageId, routingKey, returned: null };
    state.inFlight.add(inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        state.channel.publish(
          target.exchange,
          routingKey,
          Buffer.from(message.body),
          {
            persistent: true,
            mandatory: true,
            messageId,
            timestamp: Number(headers["webhook-timestamp"]),
            type: message.type,
            contentType: "application/json",
            contentEncoding: "utf-8",
            appId: "payzero-notify",
            headers,
          },
          (err: unknown) => (err ? reject(err) : resolve()),
        );
      });
    } catch (err) {
      // A channel the broker closed fails its publishes with "channel closed": say why it closed.
      throw (
        state.closeError ??
        (isNack(err) ? new Error("nacked by RabbitMQ: the broker did not take the message") : err)
      );
    } finally {
      state.inFlight.delete(inFlight);
    }
    if (inFlight.returned) throw new Error(inFlight.returned);
    return "confirmed by RabbitMQ";
  }

  return {
    send(url, message, timeoutMs) {
      return publishOutcome(
        () => publish(url, message, timeoutMs),
        timeoutMs,
        (err) => describeAmqpError(err, url, timeoutMs),
      ).then((outcome) => {
        const broker = brokers.get(amqpTarget(url).connectionUrl);
        if (outcome.ok || !outcome.error?.startsWith("timeout") || !broker) return outcome;
        // A timeout while RabbitMQ blocks publishers (memory or disk alarm) says so.
        return broker.then(
          (b) =>
            b.blocked
              ? { ...outcome, error: `${outcome.error} (RabbitMQ blocks publishers: ${b.blocked})` }
              : outcome,
          () => outcome,
        );
      });
    },
    async close() {
      closing = true;
      await closeAll(
        brokers,
        (b) => b.model.close(),
        (err) => log?.warn({ err }, "RabbitMQ close"),
      );
    },
  };
}

function describeAmqpError(err: unknown, url: string, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  // A protocol error's numeric code is in its message already ("... 404 (NOT-FOUND) with message ...").
  if (typeof (err as { code?: unknown }).code === "number") return err.message;
  // amqplib drops the reason of a refused connection.open; RabbitMQ refuses it for one reason.
  if (err.message.startsWith("Expected ConnectionOpenOk; got <ConnectionClose"))
    return `RabbitMQ refused to open vhost "${decodeURIComponent(new URL(url).pathname.slice(1)) || "/"}": it does not exist, or the user may not use it`;
  return describeError(err, timeoutMs);
}

/** Drops a map's entry if it is still this one (a newer one may have replaced it). */
function forget<T>(map: Map<string, T>, key: string, entry: T): void {
  if (map.get(key) === entry) map.delete(key);
}

function isNack(err: unknown): boolean {
  return err instanceof Error && /nack/i.test(err.message);
}
