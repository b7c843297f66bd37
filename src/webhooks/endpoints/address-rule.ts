// Where an endpoint may send. Internal systems live on private addresses (10/8, 172.16/12, 192.168/16,
// fc00::/7), so those are allowed; loopback and unspecified addresses (this machine: its admin ports,
// Redis, Postgres), the link-local range and the cloud metadata addresses are not, unless
// WEBHOOK_ALLOW_ADDRESSES names them. An IPv4 address written inside IPv6 (NAT64 64:ff9b::/96, 6to4
// 2002::/16, IPv4-mapped) is judged as that IPv4 address. Checked when an endpoint is saved (every
// address its host resolves to) and again at connect time of every send, on the addresses the socket
// is about to use (a lookup function for the agent, amqplib's socket and the NATS check before
// connecting), so a DNS change after the save cannot slip in between.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { networkInterfaces } from "node:os";
import { parseSubnet } from "../../config.js";

/**
 * Link-local (169.254.0.0/16 with the AWS/GCP/Azure/OpenStack metadata service, fe80::/10) and the
 * metadata services elsewhere: Alibaba Cloud 100.100.100.200, Azure's wire server 168.63.129.16, AWS
 * fd00:ec2::254 (and fd00:ec2::23, EKS Pod Identity), GCP's IPv6 fd20:ce::254.
 */
const METADATA = subnets([
  "169.254.0.0/16",
  "fe80::/10",
  "100.100.100.200",
  "168.63.129.16",
  "fd00:ec2::23",
  "fd00:ec2::254",
  "fd20:ce::254",
]);
/** This machine: loopback, and the unspecified addresses (connecting to 0.0.0.0 or :: reaches it too). */
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
  config: { port: number; adminPort?: number; webhookAllowAddresses: readonly string[] },
  resolve: Resolver = dnsLookup,
): DestinationPolicy {
  const allowed = subnets(config.webhookAllowAddresses);
  const ownPorts = new Set([config.port, config.adminPort]);
  const ownAddress = (address: string) =>
    LOOPBACK.check(address, family(address)) ||
    Object.values(networkInterfaces()).some((list) => list?.some((i) => sameAddress(i.address, address)));
  return {
    resolve,
    refusal(address, port) {
      // The address as written and the IPv4 address it carries, if any: either allowed is allowed.
      const forms = [address, embeddedIPv4(address)].filter((a): a is string => a !== undefined);
      // Never the service's own ports, whatever the allow list (loopback allowed for a local receiver).
      if (forms.some((a) => ownPorts.has(port) && ownAddress(a))) return "this service's own listener";
      if (forms.some((a) => allowed.check(a, family(a)))) return undefined;
      if (forms.some((a) => LOOPBACK.check(a, family(a)))) return "a loopback or unspecified address";
      if (forms.some((a) => METADATA.check(a, family(a)))) return "a link-local or cloud metadata address";
      return undefined;
    },
  };
}

/**
 * The IPv4 address inside an IPv6 one that reaches it: NAT64 (64:ff9b::/96, its last 32 bits) or
 * 6to4 (2002::/16, bits 16–47); IPv4-mapped ::ffff:a.b.c.d BlockList matches by itself.
 */
export function embeddedIPv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0))
    return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad and :: expanded). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split("%")[0]!.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const part = (p: string | undefined) => (p ? p.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 ? groups : undefined;
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
  "postgres:": 5432,
  "postgresql:": 5432,
  "mysql:": 3306,
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

/**
 * The address to connect to for host:port, checked: every address the name resolves to must be
 * allowed (an IP literal is checked as it is). For clients that take no lookup function (NATS): they
 * connect to the address returned, so what is checked is what is reached. Throws ERR_DESTINATION_REFUSED.
 */
export async function checkedAddress(policy: DestinationPolicy, host: string, port: number): Promise<string> {
  if (isIP(host) !== 0) {
    const problem = literalProblem(policy, host, port);
    if (problem) throw refusedError(problem);
    return host;
  }
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    policy.resolve(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
  );
  for (const { address } of addresses) {
    const reason = policy.refusal(address, port);
    if (reason) throw refusedError(refusedMessage(host, address, port, reason));
  }
  const first = addresses[0];
  if (!first) throw Object.assign(new Error(`no address for ${host}`), { code: "ENOTFOUND" });
  return first.address;
}
