// NATS destinations: a JetStream publish, successful when a stream has stored it (its ack).
// Nats-Msg-Id is the webhook-id, so JetStream drops a retry of a message it already stored (within
// the stream's duplicate window). One connection per server and credentials per process; nats.js
// reconnects it by itself, and while it is away attempts fail at once rather than wait.
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection, headers as natsHeaders, RequestError } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { throttledLog } from "../../ops/log-throttle.js";
import { checkedAddress, type DestinationPolicy, urlDestination } from "../endpoints/address-rule.js";
import { type NatsTarget, natsTarget } from "./broker-url.js";
import {
  brokerHeaders,
  closeAll,
  describeError,
  type OutgoingMessage,
  type Publisher,
  publishOutcome,
} from "./publisher.js";

interface Server {
  nc: NatsConnection;
  /** False between a disconnect and the reconnect. */
  connected: boolean;
}

/**
 * `policy`: the address rule (absent: every address allowed). The server's name is resolved and
 * checked here and the connection made to the checked address; servers the cluster advertises are
 * ignored (they would take the credentials elsewhere, unchecked).
 */
export function createNatsPublisher(log?: Logger, policy?: DestinationPolicy): Publisher {
  const servers = new Map<string, Promise<Server>>();
  let closing = false;
  // A server that is down fails the same way each reconnect: one line, then a count a minute.
  const noisy = log && throttledLog(log);

  function serverFor(target: NatsTarget, timeoutMs: number): Promise<Server> {
    let server = servers.get(target.connectionKey);
    if (!server) {
      const opening = open(target, timeoutMs, () => forget(target.connectionKey, opening));
      server = opening;
      servers.set(target.connectionKey, opening);
      // A failed connect is forgotten: the next attempt tries again.
      opening.catch(() => forget(target.connectionKey, opening));
    }
    return server;
  }

  function forget(key: string, entry: Promise<Server>): void {
    if (servers.get(key) === entry) servers.delete(key);
  }

  async function open(target: NatsTarget, timeoutMs: number, onClose: () => void): Promise<Server> {
    const nc = await connect({
      servers: policy ? await checkedServer(policy, target.server) : target.server,
      ignoreClusterUpdates: true,
      ...(target.user !== undefined && { user: target.user, pass: target.pass }),
      ...(target.token !== undefined && { token: target.token }),
      name: "payzero-notify",
      timeout: timeoutMs,
      // Reconnects for as long as the process runs (the default gives up after 10 tries).
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    const server: Server = { nc, connected: true };
    // Ends when the connection closes; a failure of it must not become an unhandled rejection.
    watch(server).catch((err: unknown) => noisy?.warn({ err }, "NATS status"));
    nc.closed().then((err) => {
      onClose();
      if (err && !closing) noisy?.warn({ err }, "NATS connection closed");
    });
    if (closing) await nc.close();
    return server;
  }

  async function watch(server: Server): Promise<void> {
    for await (const status of server.nc.status()) {
      if (status.type === "disconnect") {
        server.connected = false;
        noisy?.warn({}, "NATS connection lost; reconnecting");
      } else if (status.type === "reconnect") server.connected = true;
    }
  }

  async function publish(url: string, message: OutgoingMessage, timeoutMs: number): Promise<string> {
    const target = natsTarget(url);
    const server = await serverFor(target, timeoutMs);
    if (!server.connected) throw new Error(`NATS server ${target.server} unreachable (reconnecting)`);
    const signed = brokerHeaders(message);
    const h = natsHeaders();
    h.set("content-type", "application/json");
    for (const [name, value] of Object.entries(signed)) h.set(name, value);
    const messageId = signed["webhook-id"] ?? "";
    try {
      const ack = await jetstream(server.nc, { timeout: timeoutMs }).publish(target.subject, message.body, {
        msgID: messageId,
        headers: h,
        timeout: timeoutMs,
      });
      return ack.duplicate
        ? `already in JetStream stream ${ack.stream} (seq ${ack.seq}): duplicate dropped`
        : `stored in JetStream stream ${ack.stream} (seq ${ack.seq})`;
    } catch (err) {
      // No stream listens on the subject: the publish request has no responder.
      if (noResponders(err))
        throw new Error(`no JetStream stream covers subject ${target.subject} (or JetStream is not enabled)`);
      throw err;
    }
  }

  return {
    send(url, message, timeoutMs) {
      return publishOutcome(
        () => publish(url, message, timeoutMs),
        timeoutMs,
        (err) => describeError(err, timeoutMs),
      );
    },
    async close() {
      closing = true;
      await closeAll(
        servers,
        (s) => s.nc.close(),
        (err) => log?.warn({ err }, "NATS close"),
      );
    },
  };
}

/** host:port with the host replaced by the checked address it resolves to ([v6]:port). */
async function checkedServer(policy: DestinationPolicy, server: string): Promise<string> {
  const { host, port } = urlDestination(new URL(`nats://${server}`));
  const address = await checkedAddress(policy, host, port);
  return `${address.includes(":") ? `[${address}]` : address}:${port}`;
}

function noResponders(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if (e instanceof RequestError && e.isNoResponders()) return true;
  return false;
}
