// What an endpoint is created or changed with, and its checks (the ones JSON Schema cannot express,
// and the lengths, for the doors without a JSON Schema of these bodies). Pure, apart from the address
// rule's check (DNS), which applies to every scheme.
import { DECLARE_STATUSES, PAY_CANCELLED, PAY_STATUSES } from "../../payzero/statuses.js";
import { amqpUrlProblem, destinationKind, natsUrlProblem } from "../transports/broker-url.js";
import { databaseUrlProblem } from "../transports/database-url.js";
import { type DestinationPolicy, destinationProblem, urlDestination } from "./address-rule.js";
import { MAX_HEADERS } from "./rotation.js";
import { secretProblem } from "./secret.js";
import { carriesMask, MASK } from "./url-mask.js";

export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "url must be an absolute http(s), amqp(s), nats, postgres or mysql URL";
  }
  const kind = destinationKind(url);
  if (kind === "amqp") return amqpUrlProblem(parsed);
  if (kind === "nats") return natsUrlProblem(parsed);
  if (kind === "postgres" || kind === "mysql") return databaseUrlProblem(parsed);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    return "url must be http or https (or amqp, amqps: RabbitMQ; nats: NATS JetStream; postgres, mysql: a table in your database)";
  return undefined;
}

export const EMPTY_MSG_TYPES = "msgTypes must not be empty: use null for every type";

/** null or absent: every type, stored as the empty list (so an empty list given is refused: it would mean nothing). */
export function storedMsgTypes(msgTypes: string[] | null | undefined): string[] {
  return msgTypes ? [...new Set(msgTypes)] : [];
}

/** Payzero's statuses (appendix A.1/A.2, and PAY_CANCELLED seen in its examples): a typo would match nothing. */
const FILTER_STATUSES = {
  payStatus: [...PAY_STATUSES, PAY_CANCELLED] as readonly string[],
  declareStatus: DECLARE_STATUSES as readonly string[],
};

function statusesProblem(field: keyof typeof FILTER_STATUSES, given: string[] | null | undefined) {
  if (!Array.isArray(given)) return undefined;
  if (given.length === 0) return `${field} must not be empty: use null for any status`;
  const unknown = given.find((s) => !FILTER_STATUSES[field].includes(s));
  return unknown === undefined
    ? undefined
    : `${field}: ${JSON.stringify(unknown)} is not a Payzero status (one of ${FILTER_STATUSES[field].join(", ")})`;
}

/** Set by the service itself, or by HTTP: an endpoint's headers cannot replace them. */
const RESERVED_HEADERS = [
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "host",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "user-agent",
];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE = /^[\t\x20-\x7e]*$/;

/** Names are case-insensitive: stored in lower case, as HTTP/2 sends them. */
export function normalizedHeaders<T extends string | null>(headers: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function headersProblem(headers: Record<string, string | null> | null | undefined): string | undefined {
  if (!headers) return undefined;
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS) return `headers: at most ${MAX_HEADERS}`;
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length)
    return "headers: a name is given twice (names are case-insensitive)";
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) return `headers: ${JSON.stringify(name)} is not a valid header name`;
    if (RESERVED_HEADERS.includes(name.toLowerCase()))
      return `headers: ${name} is set by the service and cannot be given`;
    if (value !== null && !VALUE.test(value))
      return `headers: the value of ${name} must be printable ASCII (no line breaks)`;
  }
  return undefined;
}

/** Longest url and description stored (the /v1 schemas say the same). */
export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 500;

export interface EndpointInput {
  url?: string;
  msgTypes?: string[] | null;
  payStatus?: string[] | null;
  declareStatus?: string[] | null;
  headers?: Record<string, string | null> | null;
  secret?: string | null;
  previousSecretValidSeconds?: number;
  description?: string | null;
  ordering?: string;
}

/**
 * "none": deliveries go out as they come, in parallel. "per-order": one delivery of an order at a
 * time, in the order's version order (the gate is in the claim, delivery-queue.ts).
 */
const ORDERINGS = ["none", "per-order"] as const;
export type Ordering = (typeof ORDERINGS)[number];

/** A new endpoint: its url and, optionally, everything else (the secret is generated when absent). */
export interface NewEndpoint extends EndpointInput {
  url: string;
  headers?: Record<string, string> | null;
  rateLimitPerSecond?: number | null;
}

/** A change of an endpoint: the fields given change (headers merged), a secret given rotates. */
export interface EndpointPatch extends EndpointInput {
  enabled?: boolean;
  rateLimitPerSecond?: number | null;
}

/** The first problem of the given fields, or undefined. */
export function inputProblem(input: EndpointInput): string | undefined {
  if (input.url !== undefined) {
    if (input.url.length > MAX_URL_LENGTH) return `url: at most ${MAX_URL_LENGTH} characters`;
    const problem = urlProblem(input.url);
    if (problem) return problem;
    if (carriesMask(input.url))
      return `url has ${MASK} (the mask the views show) for its password: give the password, or keep the user, host and port as stored`;
  }
  if (typeof input.description === "string" && input.description.length > MAX_DESCRIPTION_LENGTH)
    return `description: at most ${MAX_DESCRIPTION_LENGTH} characters`;
  if (Array.isArray(input.msgTypes) && input.msgTypes.length === 0) return EMPTY_MSG_TYPES;
  if (input.msgTypes && (input.msgTypes.length > 50 || input.msgTypes.some((t) => t.length > 100)))
    return "msgTypes: at most 50, each at most 100 characters";
  // Not text: Prisma cannot pass a lone surrogate in a text[] (it failed with 500).
  if (input.msgTypes?.some((t) => /\p{Cs}/u.test(t)))
    return "msgTypes must be text (a lone surrogate is not)";
  const statuses =
    statusesProblem("payStatus", input.payStatus) ?? statusesProblem("declareStatus", input.declareStatus);
  if (statuses) return statuses;
  const headers = headersProblem(input.headers);
  if (headers) return headers;
  if (input.ordering !== undefined && !(ORDERINGS as readonly string[]).includes(input.ordering))
    return `ordering: ${JSON.stringify(input.ordering)} is not one of ${ORDERINGS.join(", ")}`;
  if (input.previousSecretValidSeconds !== undefined && input.secret === undefined)
    return "previousSecretValidSeconds applies to a rotation: give secret too";
  if (typeof input.secret === "string") return secretProblem(input.secret);
  return undefined;
}

/** Where the URL leads, checked against the destination rule (destination.ts); undefined when allowed. */
export function urlDestinationProblem(policy: DestinationPolicy, url: string): Promise<string | undefined> {
  const { host, port } = urlDestination(new URL(url));
  return destinationProblem(policy, host, port).then((problem) => problem && `url: ${problem}`);
}
