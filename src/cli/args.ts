// The command line → one typed invocation, or a UsageError. Pure (node:util parseArgs).
import { type ParseArgsConfig, parseArgs } from "node:util";
import { parseBigintId } from "../db/bigint-id.js";
import { orderNosProblem } from "../orders/expected.js";
import { errorMessage } from "../util.js";
import { parseIsoTime } from "../webhooks/delivery/backfill.js";

export class UsageError extends Error {
  override name = "UsageError";
}

const STATUSES = ["failed", "pending", "succeeded"] as const;
export type DeliveryStatus = (typeof STATUSES)[number];

export type Invocation =
  | { command: "help" }
  | { command: "deliveries"; json: boolean; status: DeliveryStatus; webhookId?: string; limit: number }
  | { command: "retry"; json: boolean; wait: boolean; target: RetryTarget }
  | { command: "order"; json: boolean; mchtOrderNo: string }
  | { command: "order-retry"; json: boolean; mchtOrderNo: string; kind: string }
  | { command: "order-query"; json: boolean; mchtOrderNo: string }
  | { command: "order-erase"; json: boolean; mchtOrderNo: string }
  | { command: "expect"; json: boolean; mchtOrderNos: string[]; needDeclare: boolean | null }
  | { command: "replay"; json: boolean; wait: boolean; notificationId: bigint; webhookId?: string }
  | { command: "backfill"; json: boolean; webhookId: string; since?: Date; until?: Date }
  | { command: "audit-verify"; json: boolean; anchor?: { id: bigint; hash: string } }
  | { command: "audit-list"; json: boolean; action?: string; target?: string; limit: number }
  | { command: "tokens-create"; json: boolean; name: string; scopes: string[] }
  | { command: "tokens-list"; json: boolean }
  | { command: "tokens-revoke"; json: boolean; id: string }
  | {
      command: "refund-register";
      json: boolean;
      mchtRefundOrderNo: string;
      mchtOrderNo: string;
      refundAmount: number | null;
    }
  | { command: "refund-show"; json: boolean; mchtRefundOrderNo: string };

export type RetryTarget = { deliveryId: bigint } | { allFailedOf: string };

const COMMANDS = [
  "deliveries",
  "retry",
  "order",
  "expect",
  "refund",
  "replay",
  "backfill",
  "audit",
  "tokens",
  "help",
] as const;
const MAX_LIMIT = 1000;

const common = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export function parseInvocation(argv: string[]): Invocation {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("no command given");
  const asksHelp = (a: string) => a === "--help" || a === "-h";
  if (command === "help" || asksHelp(command) || rest.some(asksHelp)) return { command: "help" };
  switch (command) {
    case "deliveries":
      return deliveries(rest);
    case "retry":
      return retry(rest);
    case "order":
      return order(rest);
    case "expect":
      return expect(rest);
    case "refund":
      return refund(rest);
    case "replay":
      return replay(rest);
    case "backfill":
      return backfill(rest);
    case "audit":
      return audit(rest);
    case "tokens":
      return tokens(rest);
    default:
      throw new UsageError(`unknown command "${command}" (commands: ${COMMANDS.join(", ")})`);
  }
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, ...common }, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs explains at length; the first sentence names the problem.
    const message = errorMessage(err);
    throw new UsageError((message.split(/\.\s/)[0] ?? message).replace(/\.$/, ""));
  }
}

function positionals(given: string[], names: string[], command: string): string[] {
  if (given.length < names.length) throw new UsageError(`${command}: missing ${names[given.length]}`);
  if (given.length > names.length)
    throw new UsageError(`${command}: unexpected argument "${given[names.length]}"`);
  return given;
}

function parseId(text: string, what: string): bigint {
  const id = parseBigintId(text);
  if (id === undefined) throw new UsageError(`${what} must be a positive integer (got "${text}")`);
  return id;
}

function parseLimit(text: string | undefined): number {
  const limit = Number(text ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got "${text}")`);
  return limit;
}

function webhookId(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.length === 0 || text.length > 100) throw new UsageError("--webhook needs an endpoint id");
  return text;
}

function deliveries(args: string[]): Invocation {
  const { values, positionals: given } = parse(args, {
    status: { type: "string" },
    webhook: { type: "string" },
    limit: { type: "string" },
  });
  positionals(given, [], "deliveries");
  const status = values.status ?? "failed";
  if (!(STATUSES as readonly string[]).includes(status))
    throw new UsageError(`--status must be one of ${STATUSES.join(", ")} (got "${status}")`);
  const limit = parseLimit(values.limit);
  return {
    command: "deliveries",
    json: values.json ?? false,
    status: status as DeliveryStatus,
    webhookId: webhookId(values.webhook),
    limit,
  };
}

function retry(args: string[]): Invocation {
  const { values, positionals: given } = parse(args, {
    webhook: { type: "string" },
    "all-failed": { type: "boolean" },
    wait: { type: "boolean" },
  });
  const flags = { json: values.json ?? false, wait: values.wait ?? false };
  if (values["all-failed"] || values.webhook !== undefined) {
    const id = webhookId(values.webhook);
    if (id === undefined) throw new UsageError("retry --all-failed needs --webhook <id>");
    if (!values["all-failed"]) throw new UsageError("retry --webhook <id> needs --all-failed");
    positionals(given, [], "retry --all-failed");
    return { command: "retry", ...flags, target: { allFailedOf: id } };
  }
  const [id] = positionals(given, ["<deliveryId> (or --webhook <id> --all-failed)"], "retry");
  return { command: "retry", ...flags, target: { deliveryId: parseId(id!, "delivery id") } };
}

function order(args: string[]): Invocation {
  const { values, positionals: given } = parse(args, { kind: { type: "string" } });
  const json = values.json ?? false;
  const checked = (no: string) => {
    if (no.length === 0 || no.length > 200) throw new UsageError("mchtOrderNo must be 1 to 200 characters");
    return no;
  };
  // `order retry <no> --kind …`, `order query <no>` and `order erase <no>`; `order <no>` alone shows it
  // (even an order named "query").
  if (given.length === 2 && given[0] === "retry") {
    if (values.kind === undefined) throw new UsageError("order retry needs --kind pay or --kind declare");
    return { command: "order-retry", json, mchtOrderNo: checked(given[1]!), kind: values.kind };
  }
  if (values.kind !== undefined) throw new UsageError("--kind goes with order retry <mchtOrderNo>");
  if (given.length === 2 && given[0] === "query")
    return { command: "order-query", json, mchtOrderNo: checked(given[1]!) };
  if (given.length === 2 && given[0] === "erase")
    return { command: "order-erase", json, mchtOrderNo: checked(given[1]!) };
  const [no] = positionals(given, ["<mchtOrderNo>"], "order");
  return { command: "order", json, mchtOrderNo: checked(no!) };
}

function expect(args: string[]): Invocation {
  const { values, positionals: given } = parse(args, {
    declare: { type: "boolean" },
    "no-declare": { type: "boolean" },
  });
  if (values.declare && values["no-declare"])
    throw new UsageError("expect: --declare or --no-declare, not both");
  const problem = orderNosProblem(given);
  if (given.length === 0) throw new UsageError("expect: missing <mchtOrderNo>");
  if (problem) throw new UsageError(`expect: ${problem.replace("mchtOrderNos", "order numbers")}`);
  return {
    command: "expect",
    json: values.json ?? false,
    mchtOrderNos: given,
    needDeclare: values.declare ? true : values["no-declare"] ? false : null,
  };
}

function refund(args: string[]): Invocation {
  const [sub, ...rest] = args;
  if (sub === "show") {
    const { values, positionals: given } = parse(rest, {});
    const [no] = positionals(given, ["<mchtRefundOrderNo>"], "refund show");
    return { command: "refund-show", json: values.json ?? false, mchtRefundOrderNo: no! };
  }
  if (sub !== "register") throw new UsageError('refund: "register" or "show"');
  const { values, positionals: given } = parse(rest, { amount: { type: "string" } });
  const [refundNo, orderNo] = positionals(given, ["<mchtRefundOrderNo>", "<mchtOrderNo>"], "refund register");
  const amount = values.amount === undefined ? null : Number(values.amount);
  if (amount !== null && !/^[1-9][0-9]{0,14}$/.test(values.amount ?? ""))
    throw new UsageError(`--amount must be a positive whole number of fen (got "${values.amount}")`);
  return {
    command: "refund-register",
    json: values.json ?? false,
    mchtRefundOrderNo: refundNo!,
    mchtOrderNo: orderNo!,
    refundAmount: amount,
  };
}

function replay(args: string[]): Invocation {
  const { values, positionals: given } = parse(args, {
    webhook: { type: "string" },
    wait: { type: "boolean" },
  });
  const [id] = positionals(given, ["<notificationId>"], "replay");
  return {
    command: "replay",
    json: values.json ?? false,
    wait: values.wait ?? false,
    notificationId: parseId(id!, "notification id"),
    webhookId: webhookId(values.webhook),
  };
}

function backfill(args: string[]): Invocation {
  const { values, positionals: given } = parse(args, {
    since: { type: "string" },
    until: { type: "string" },
  });
  const [id] = positionals(given, ["<webhookId>"], "backfill");
  const time = (text: string | undefined, option: string) => {
    if (text === undefined) return undefined;
    const at = parseIsoTime(text);
    if (!at)
      throw new UsageError(`${option} must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z (got "${text}")`);
    return at;
  };
  const since = time(values.since, "--since");
  const until = time(values.until, "--until");
  if (until && !since) throw new UsageError("backfill: --until needs --since");
  return {
    command: "backfill",
    json: values.json ?? false,
    webhookId: webhookId(id)!,
    ...(since && { since }),
    ...(until && { until }),
  };
}

function audit(args: string[]): Invocation {
  const [sub, ...rest] = args;
  if (sub === "verify") {
    const { values, positionals: given } = parse(rest, { anchor: { type: "string" } });
    positionals(given, [], "audit verify");
    const anchor =
      values.anchor === undefined ? undefined : /^([1-9][0-9]{0,18}):([0-9a-f]{64})$/.exec(values.anchor);
    if (anchor === null)
      throw new UsageError(`--anchor must be <entry id>:<its hash, 64 hex digits> (got "${values.anchor}")`);
    return {
      command: "audit-verify",
      json: values.json ?? false,
      ...(anchor && { anchor: { id: BigInt(anchor[1]!), hash: anchor[2]! } }),
    };
  }
  if (sub === "list") {
    const { values, positionals: given } = parse(rest, {
      action: { type: "string" },
      target: { type: "string" },
      limit: { type: "string" },
    });
    positionals(given, [], "audit list");
    const text = (value: string | undefined, option: string) => {
      if (value !== undefined && (value.length === 0 || value.length > 300))
        throw new UsageError(`${option} must be 1 to 300 characters`);
      return value;
    };
    return {
      command: "audit-list",
      json: values.json ?? false,
      action: text(values.action, "--action"),
      target: text(values.target, "--target"),
      limit: parseLimit(values.limit),
    };
  }
  throw new UsageError(
    sub === undefined ? "audit: missing verify or list" : `audit: unknown "${sub}" (verify, list)`,
  );
}

function tokens(args: string[]): Invocation {
  const [sub, ...rest] = args;
  if (sub === "create") {
    // The scopes are checked by the operation, whose refusal names the ones there are.
    const { values, positionals: given } = parse(rest, {
      name: { type: "string" },
      scope: { type: "string", multiple: true },
    });
    positionals(given, [], "tokens create");
    if (values.name === undefined) throw new UsageError("tokens create: missing --name <name>");
    if (values.scope === undefined) throw new UsageError("tokens create: missing --scope <scope>");
    return { command: "tokens-create", json: values.json ?? false, name: values.name, scopes: values.scope };
  }
  if (sub === "list") {
    const { values, positionals: given } = parse(rest, {});
    positionals(given, [], "tokens list");
    return { command: "tokens-list", json: values.json ?? false };
  }
  if (sub === "revoke") {
    const { values, positionals: given } = parse(rest, {});
    const [id] = positionals(given, ["<tokenId>"], "tokens revoke");
    return { command: "tokens-revoke", json: values.json ?? false, id: id! };
  }
  throw new UsageError(
    sub === undefined
      ? "tokens: missing create, list or revoke"
      : `tokens: unknown "${sub}" (create, list, revoke)`,
  );
}
