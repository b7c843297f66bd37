// Message-broker endpoint URLs (amqp/amqps: RabbitMQ; nats: NATS JetStream): their checks, what a
// publish needs of them, which connection they share, and how they are shown; and the kind of every
// endpoint URL (database URLs: database-url.ts). Pure.
import { databaseKind } from "./database-url.js";

export type DestinationKind = "http" | "amqp" | "nats" | "postgres" | "mysql";

export function destinationKind(url: string): DestinationKind | undefined {
  const scheme = url.slice(0, url.indexOf(":")).toLowerCase();
  if (scheme === "http" || scheme === "https") return "http";
  if (scheme === "amqp" || scheme === "amqps") return "amqp";
  if (scheme === "nats") return "nats";
  return databaseKind(scheme);
}

/** amqplib's own connection settings in the query, passed through to it. */
const AMQP_CONNECTION_PARAMS = ["heartbeat", "frameMax", "channelMax", "locale", "maxFrameSize"];
const AMQP_PARAMS = new Set(["exchange", "routingKey", ...AMQP_CONNECTION_PARAMS]);
const NATS_PARAMS = new Set(["subject"]);

export interface AmqpTarget {
  /** The URL amqplib connects with (the destination parameters removed); also the connection's identity. */
  connectionUrl: string;
  /** "" is AMQP's default exchange: the routing key names the queue. */
  exchange: string;
  /** null: the message's msgType. */
  routingKey: string | null;
}

export interface NatsTarget {
  /** host:port */
  server: string;
  user?: string;
  pass?: string;
  token?: string;
  subject: string;
  /** The connection's identity (server and credentials). */
  connectionKey: string;
}

/** The problem of an amqp(s):// endpoint URL, or undefined. */
export function amqpUrlProblem(url: URL): string | undefined {
  const unknown = [...url.searchParams.keys()].find((k) => !AMQP_PARAMS.has(k));
  if (unknown !== undefined)
    return `amqp url: unknown parameter "${unknown}" (known: ${[...AMQP_PARAMS].join(", ")})`;
  if (!url.searchParams.has("exchange"))
    return "amqp url needs ?exchange=<name> (exchange= with no name publishes to the default exchange, which routes to the queue named by routingKey)";
  if (url.searchParams.getAll("exchange").length > 1 || url.searchParams.getAll("routingKey").length > 1)
    return "amqp url: give exchange and routingKey once each";
  if (url.hostname === "") return "amqp url needs a host";
  if (byteLength(url.searchParams.get("exchange") ?? "") > 255)
    return "amqp url: exchange is longer than 255 bytes";
  const routingKey = url.searchParams.get("routingKey");
  if (routingKey !== null && routingKey === "")
    return "amqp url: routingKey must not be empty (leave it out to route by the msgType)";
  if (routingKey !== null && byteLength(routingKey) > 255)
    return "amqp url: routingKey is longer than 255 bytes";
  if (url.pathname.slice(1).includes("/"))
    return 'amqp url: the vhost is the path\'s one segment (escape a "/" in its name as %2F)';
  return undefined;
}

/** The problem of a nats:// endpoint URL, or undefined. */
export function natsUrlProblem(url: URL): string | undefined {
  const unknown = [...url.searchParams.keys()].find((k) => !NATS_PARAMS.has(k));
  if (unknown !== undefined) return `nats url: unknown parameter "${unknown}" (known: subject)`;
  const subjects = url.searchParams.getAll("subject");
  if (subjects.length === 0 || subjects[0] === "") return "nats url needs ?subject=<subject> to publish to";
  if (subjects.length > 1) return "nats url: give subject once";
  if (url.hostname === "") return "nats url needs a host";
  if (url.pathname !== "" && url.pathname !== "/") return "nats url has no path: the subject is ?subject=";
  return subjectProblem(subjects[0] as string);
}

/** A publish subject: dot-separated tokens, no wildcards, no white space. */
function subjectProblem(subject: string): string | undefined {
  if (/[\s]/u.test(subject)) return "nats url: the subject must not contain white space";
  if (subject.split(".").some((token) => token === "")) return "nats url: the subject has an empty token";
  if (subject.split(".").some((token) => token === "*" || token === ">"))
    return "nats url: a subject to publish to has no wildcards (* or >)";
  return undefined;
}

export function amqpTarget(url: string): AmqpTarget {
  const parsed = new URL(url);
  const exchange = parsed.searchParams.get("exchange") ?? "";
  const routingKey = parsed.searchParams.get("routingKey");
  parsed.searchParams.delete("exchange");
  parsed.searchParams.delete("routingKey");
  return { connectionUrl: parsed.toString(), exchange, routingKey };
}

export function natsTarget(url: string): NatsTarget {
  const parsed = new URL(url);
  const server = `${parsed.hostname}:${parsed.port || "4222"}`;
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  // nats://token@host is token authentication, nats://user:pass@host user and password (as nats-server's own URLs).
  const auth = user === "" ? {} : pass === "" ? { token: user } : { user, pass };
  return {
    server,
    ...auth,
    subject: parsed.searchParams.get("subject") ?? "",
    connectionKey: JSON.stringify([server, auth]),
  };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
