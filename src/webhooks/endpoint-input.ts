// Checks of merchant input for endpoints that JSON Schema cannot express. Pure.
import { amqpUrlProblem, destinationKind, natsUrlProblem } from "./broker-url.js";
import { secretProblem } from "./secret.js";
import { carriesMask, MASK } from "./url-mask.js";

export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "url must be an absolute http(s), amqp(s) or nats URL";
  }
  const kind = destinationKind(url);
  if (kind === "amqp") return amqpUrlProblem(parsed);
  if (kind === "nats") return natsUrlProblem(parsed);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    return "url must be http or https (or amqp, amqps: RabbitMQ; nats: NATS JetStream)";
  return undefined;
}

export const EMPTY_MSG_TYPES = "msgTypes must not be empty: use null for every type";

/** null or absent: every type, stored as the empty list (so an empty list given is refused: it would mean nothing). */
export function storedMsgTypes(msgTypes: string[] | null | undefined): string[] {
  return msgTypes ? [...new Set(msgTypes)] : [];
}

export interface EndpointInput {
  url?: string;
  msgTypes?: string[] | null;
  secret?: string | null;
  previousSecretValidSeconds?: number;
}

/** The first problem of the given fields, or undefined. */
export function inputProblem(input: EndpointInput): string | undefined {
  if (input.url !== undefined) {
    const problem = urlProblem(input.url);
    if (problem) return problem;
    if (carriesMask(input.url))
      return `url has ${MASK} (the mask the views show) for its password: give the password, or keep the user, host and port as stored`;
  }
  if (Array.isArray(input.msgTypes) && input.msgTypes.length === 0) return EMPTY_MSG_TYPES;
  // Not text: Prisma cannot pass a lone surrogate in a text[] (it failed with 500).
  if (input.msgTypes?.some((t) => /\p{Cs}/u.test(t)))
    return "msgTypes must be text (a lone surrogate is not)";
  if (input.previousSecretValidSeconds !== undefined && input.secret === undefined)
    return "previousSecretValidSeconds applies to a rotation: give secret too";
  if (typeof input.secret === "string") return secretProblem(input.secret);
  return undefined;
}
