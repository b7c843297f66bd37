// What of an endpoint is sealed at rest (secret, previous secret, headers, the credential in its URL),
// opened where a delivery or the API needs it, and the start-up pass that checks the keys and seals
// everything with the first.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import {
  isSealedWith,
  type Keyring,
  keyringOf,
  type SealedColumn,
  SealingError,
  sealedKeyId,
} from "../../crypto/keyring.js";
import type { Db } from "../../db/client.js";

export interface SealedColumns {
  id: string;
  secret: string;
  previousSecret: string | null;
  headers: string | null;
}

export type EndpointHeaders = Record<string, string>;

export function sealHeaders(keyring: Keyring, endpointId: string, headers: EndpointHeaders): string | null {
  return Object.keys(headers).length === 0
    ? null
    : keyring.seal(endpointId, "headers", JSON.stringify(headers));
}

function openHeaders(keyring: Keyring, endpointId: string, stored: string | null): EndpointHeaders {
  return stored === null ? {} : (JSON.parse(keyring.open(endpointId, "headers", stored)) as EndpointHeaders);
}

/** The endpoint's secrets and headers in plaintext (throws SealingError when a key is missing). */
export function openEndpoint<T extends SealedColumns & { url?: string }>(keyring: Keyring, e: T) {
  return {
    secret: keyring.open(e.id, "secret", e.secret),
    previousSecret:
      e.previousSecret === null ? null : keyring.open(e.id, "previous_secret", e.previousSecret),
    headers: openHeaders(keyring, e.id, e.headers),
    ...(e.url !== undefined && { url: openUrl(keyring, e.id, e.url) }),
  };
}

/**
 * Where a URL keeps its credential: the password, or for a NATS token (nats://token@host) the user
 * part; undefined when it has none. URLs that do not parse have none.
 */
function credentialOf(url: string): { parsed: URL; part: "password" | "username" } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.password !== "") return { parsed, part: "password" };
  if (parsed.username !== "" && parsed.protocol === "nats:") return { parsed, part: "username" };
  return undefined;
}

/** The credential as stored (sealed: "enc:v2:…", percent-encoded in the URL), decoded. */
const storedCredential = (c: { parsed: URL; part: "password" | "username" }) =>
  decodeURIComponent(c.parsed[c.part]);

/**
 * The URL with its credential sealed (a URL without one is returned as it is): the user, host and
 * the rest stay readable, so views, filters and the address rule work on the stored URL.
 */
export function sealUrl(keyring: Keyring, endpointId: string, url: string): string {
  const c = credentialOf(url);
  if (!c) return url;
  c.parsed[c.part] = keyring.seal(endpointId, "url", c.parsed[c.part]);
  return c.parsed.toString();
}

/** The URL with its credential opened; one stored in plaintext (before sealing) is returned as it is. */
export function openUrl(keyring: Keyring, endpointId: string, stored: string): string {
  const c = credentialOf(stored);
  if (!c || sealedKeyId(storedCredential(c)) === null) return stored;
  c.parsed[c.part] = keyring.open(endpointId, "url", storedCredential(c));
  return c.parsed.toString();
}

/** The id of the key the URL's credential is sealed with; null: in plaintext; undefined: it has none. */
function urlKeyId(stored: string): string | null | undefined {
  const c = credentialOf(stored);
  return c && sealedKeyId(storedCredential(c));
}

const COLUMNS = {
  secret: "secret",
  previousSecret: "previous_secret",
  headers: "headers",
} as const satisfies Record<string, SealedColumn>;

export interface SealingReport {
  /** Values found in plaintext (stored before sealing existed) and sealed now. */
  sealed: number;
  /** Values sealed with an older key, or the older way (v1: not bound to the column), sealed again with the first. */
  resealed: number;
}

/**
 * Run at start (every role) and by `migrate`: refuses to go on when a stored value was sealed with a
 * key ENCRYPTION_KEYS does not hold (a missing or wrong key is a start-up error, not failed
 * deliveries later), then seals plaintext values and those of older keys with the first key. Each
 * value is replaced only if unchanged meanwhile, so processes starting together do no harm.
 */
export async function checkAndSeal(db: Db, keyring: Keyring): Promise<SealingReport> {
  const rows = await db.$queryRaw<Array<SealedColumns & { url: string }>>`
    SELECT id, secret, previous_secret AS "previousSecret", headers, url FROM webhook_endpoints ORDER BY id`;
  const unknown = new Map<string, number>();
  for (const row of rows) {
    for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, SealedColumn]>) {
      const stored = row[field];
      const id = stored === null ? null : sealedKeyId(stored);
      if (stored === null || id === null) continue;
      if (!keyring.ids.includes(id)) unknown.set(id, (unknown.get(id) ?? 0) + 1);
      else keyring.open(row.id, column, stored);
    }
    const urlKey = urlKeyId(row.url);
    if (typeof urlKey === "string") {
      if (!keyring.ids.includes(urlKey)) unknown.set(urlKey, (unknown.get(urlKey) ?? 0) + 1);
      else openUrl(keyring, row.id, row.url);
    }
  }
  if (unknown.size > 0)
    throw new SealingError(
      `ENCRYPTION_KEYS cannot open the webhook endpoints' secrets: ${[...unknown]
        .map(([id, n]) => `${n} value(s) are sealed with key ${id}`)
        .join(", ")}, and ENCRYPTION_KEYS holds only ${keyring.ids.join(", ")}. ` +
        "Set the key they were sealed with (the ENCRYPTION_KEYS before), after the new one: NEW,OLD.",
    );
  const report: SealingReport = { sealed: 0, resealed: 0 };
  for (const row of rows)
    for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, SealedColumn]>) {
      const stored = row[field];
      if (stored === null) continue;
      const id = sealedKeyId(stored);
      if (isSealedWith(stored, keyring.sealingId)) continue;
      const resealed = keyring.seal(row.id, column, keyring.open(row.id, column, stored));
      // The column name comes from COLUMNS above, never from input.
      const changed = await db.$executeRawUnsafe(
        `UPDATE webhook_endpoints SET "${column}" = $1 WHERE id = $2 AND "${column}" = $3`,
        resealed,
        row.id,
        stored,
      );
      if (changed > 0) report[id === null ? "sealed" : "resealed"]++;
    }
  for (const row of rows) {
    const id = urlKeyId(row.url);
    if (id === undefined || id === keyring.sealingId) continue;
    const resealed = sealUrl(keyring, row.id, openUrl(keyring, row.id, row.url));
    const changed = await db.$executeRaw`
      UPDATE webhook_endpoints SET url = ${resealed} WHERE id = ${row.id} AND url = ${row.url}`;
    if (changed > 0) report[id === null ? "sealed" : "resealed"]++;
  }
  return report;
}

/**
 * Start-up of the api and worker roles: no key is a ConfigError and a key missing for stored values a
 * SealingError, both before the role serves anything. Postgres not reachable yet does not stop the
 * start (the roles wait for it elsewhere too): the pass runs again in the background until it is done.
 */
export async function sealAtStart(db: Db, config: Config, log: Logger): Promise<void> {
  const keyring = keyringOf(config);
  const run = async () => {
    const report = await checkAndSeal(db, keyring);
    if (report.sealed + report.resealed > 0)
      log.info(
        { ...report, key: keyring.sealingId },
        "endpoint secrets and headers sealed with the first of ENCRYPTION_KEYS",
      );
  };
  try {
    await run();
  } catch (err) {
    if (err instanceof SealingError) throw err;
    log.warn({ err }, "endpoint secrets not checked yet (Postgres?): trying again");
    void retry(run, log);
  }
}

async function retry(run: () => Promise<void>, log: Logger): Promise<void> {
  for (let pause = 1000; ; pause = Math.min(pause * 2, 30_000)) {
    await sleep(pause);
    try {
      return await run();
    } catch (err) {
      if (err instanceof SealingError) return log.error({ err }, "ENCRYPTION_KEYS");
    }
  }
}
