// Where an endpoint may send. Internal systems live on private addresses, so those are allowed; the
// link-local range (cloud metadata services answer there) and this service's own listener are not,
// unless WEBHOOK_ALLOW_ADDRESSES names them. Checked when an endpoint is saved (every address its
// host resolves to) and again at connect time of every send, on the addresses the socket is about to
// use (a lookup function for the agent), so a DNS change after the save cannot slip in between.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { networkInterfaces } from "node:os";
import { parseSubnet } from "../../config.js";

/** Link-local (169.254.0.0/16 with the AWS/GCP/Azure metadata service, fe80::/10) and AWS's IPv6 metadata address. */
const METADATA = subnets(["169.254.0.0/16", "fe80::/10", "fd00:ec2::254"]);
const LOOPBACK = subnets(["127.0.0.0/8", "::1", "0.0.0.0/8", "::"]);

function subnets(list: readonly string[]): BlockList {
  const block = new BlockList();
  for (const text of list) {
    const s = parseSubnet(text);
    if (!s) throw new Error(`not a subnet: ${text}`);
    block.addSubnet(s.address, s.prefix, s.family);
  }
  return block;
}

const family = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");

/** node:dns lookup with `all: true` (a test gives its own, to play a DNS change). */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface DestinationPolicy {
  /** Why the service must not connect to address:port, or undefined when it may. */
  refusal(address: string, port: number): string | undefined;
  resolve: Resolver;
}

export function destinationPolicy(
  config: { port: number; webhookAllowAddresses: readonly string[] },
  resolve: Resolver = dnsLookup,
): DestinationPolicy {
  const allowed = subnets(config.webhookAllowAddresses);
  const ownAddress = (address: string) =>
    LOOPBACK.check(address, family(address)) ||
    Object.values(networkInterfaces()).some((list) => list?.some((i) => sameAddress(i.address, address)));
  return {
    resolve,
    refusal(address, port) {
      if (allowed.check(address, family(address))) return undefined;
      if (METADATA.check(address, family(address))) return "a link-local or cloud metadata address";
      if (port === config.port && ownAddress(address)) return "this service's own listener";
      return undefined;
    },
  };
}

function sameAddress(a: string, b: string): boolean {
  const one = new BlockList();
  one.addAddress(a, family(a));
  return one.check(b, family(b));
}

const DEFAULT_PORTS: Record<string, number> = {
  "http:": 80,
  "https:": 443,
  "amqp:": 5672,
  "amqps:": 5671,
  "nats:": 4222,
};

/** The host (IPv6 without brackets) and port a URL connects to. */
export function urlDestination(url: URL): { host: string; port: number } {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === "" ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port) };
}

export const REFUSED_CODE = "ERR_DESTINATION_REFUSED";
const HINT = "(WEBHOOK_ALLOW_ADDRESSES allows it)";

function refusedMessage(host: string, address: string, port: number, reason: string): string {
  const target = host === address ? `${address}` : `${host} resolves to ${address}, which is`;
  return `${target} ${reason} (port ${port}): refused ${HINT}`;
}

export function refusedError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: REFUSED_CODE });
}

/** The refusal of an IP literal host, without DNS; undefined for a name or an allowed address. */
export function literalProblem(policy: DestinationPolicy, host: string, port: number): string | undefined {
  if (isIP(host) === 0) return undefined;
  const reason = policy.refusal(host, port);
  return reason && refusedMessage(host, host, port, reason);
}

/**
 * At save: the problem of any address the host resolves to now. A name that does not resolve here is
 * not refused (internal names may resolve only where the workers run): every send checks again.
 */
export async function destinationProblem(
  policy: DestinationPolicy,
  host: string,
  port: number,
): Promise<string | undefined> {
  if (isIP(host) !== 0) return literalProblem(policy, host, port);
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise((resolve, reject) =>
      policy.resolve(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
    );
  } catch {
    return undefined;
  }
  for (const { address } of addresses) {
    const reason = policy.refusal(address, port);
    if (reason) return refusedMessage(host, address, port, reason);
  }
  return undefined;
}

/**
 * node:dns lookup, refusing when an address the socket would use is refused: net.connect calls it
 * for a host name right before connecting (IP literals never reach it: see literalProblem).
 */
export function guardedLookup(policy: DestinationPolicy, port: number): LookupFunction {
  return (hostname, options, callback) => {
    policy.resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 4);
      for (const { address } of addresses) {
        const reason = policy.refusal(address, port);
        if (reason) return callback(refusedError(refusedMessage(hostname, address, port, reason)), "", 4);
      }
      // LookupFunction types its callback for the single-address form only; with `all` net wants the list.
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 4);
      callback(null, first.address, first.family);
    });
  };
}
