// Console sessions kept server-side: the cookie holds a random id, the store (Redis, shared by every api
// process) its expiry and which admin token signed in. Signing out deletes it, so a copied cookie stops
// working at once; changing ADMIN_TOKEN ends every session. The key (SESSION_SECRET, else derived from
// the first of ENCRYPTION_KEYS) names sessions in the store and makes each one's CSRF token: a captured
// cookie says nothing about the admin token.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { redisKeys } from "../queue/keys.js";
import type { RedisClient } from "../queue/redis.js";

interface Session {
  id: string;
  expiresAt: number;
}

/** Where sessions live: Redis in the api role; memory for an app built without Redis (tests, tools). */
export interface SessionStore {
  put(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
}

export function redisSessionStore(redis: RedisClient, prefix: string): SessionStore {
  const keyOf = redisKeys(prefix).consoleSession;
  return {
    put: async (key, value, ttlMs) => {
      await redis.set(keyOf(key), value, "PX", Math.max(1, ttlMs));
    },
    get: (key) => redis.get(keyOf(key)),
    delete: async (key) => {
      await redis.del(keyOf(key));
    },
  };
}

export function memorySessionStore(): SessionStore {
  const entries = new Map<string, { value: string; until: number }>();
  return {
    put: async (key, value, ttlMs) => {
      entries.set(key, { value, until: Date.now() + ttlMs });
    },
    get: async (key) => {
      const entry = entries.get(key);
      return entry && entry.until > Date.now() ? entry.value : null;
    },
    delete: async (key) => {
      entries.delete(key);
    },
  };
}

export interface Sessions {
  create(now: number): Promise<Session>;
  /** The session of a cookie value, if it is one the store holds, unexpired, of the current admin token. */
  verify(id: string | undefined, now: number): Promise<Session | undefined>;
  end(id: string): Promise<void>;
  csrfToken(session: Session): string;
  /** The session's name in logs and the audit log: derived from it, but opening nothing. */
  sessionId(session: Session): string;
  checkCsrf(session: Session, token: unknown): boolean;
}

/** The sessions' key: SESSION_SECRET, else HKDF of the first ENCRYPTION_KEYS key; random when neither. */
export function sessionSecret(config: { sessionSecret: string; encryptionKeys: readonly Buffer[] }): Buffer {
  const material = config.sessionSecret
    ? Buffer.from(config.sessionSecret, "utf8")
    : (config.encryptionKeys[0] ?? randomBytes(32));
  return Buffer.from(hkdfSync("sha256", material, "", "payzero-notify console sessions", 32));
}

function mac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

const ID = /^[A-Za-z0-9_-]{43}$/;

export function sessions(opts: {
  secret: Buffer;
  adminToken: string;
  lifetimeMs: number;
  store: SessionStore;
}): Sessions {
  const { secret, adminToken, lifetimeMs, store } = opts;
  // The store holds neither the cookie's id nor the token: a reader of Redis gets no usable session.
  const storeKey = (id: string) => mac(secret, `session.${id}`);
  const tokenMark = mac(secret, `token.${adminToken}`);
  return {
    async create(now) {
      const session = { id: randomBytes(32).toString("base64url"), expiresAt: now + lifetimeMs };
      const value = JSON.stringify({ expiresAt: session.expiresAt, token: tokenMark });
      await store.put(storeKey(session.id), value, lifetimeMs);
      return session;
    },
    async verify(id, now) {
      if (adminToken === "" || id === undefined || !ID.test(id)) return undefined;
      const stored = await store.get(storeKey(id));
      if (stored === null) return undefined;
      const { expiresAt, token } = JSON.parse(stored) as { expiresAt: number; token: string };
      if (!sameText(token, tokenMark) || expiresAt <= now) return undefined;
      return { id, expiresAt };
    },
    async end(id) {
      if (ID.test(id)) await store.delete(storeKey(id));
    },
    sessionId(session) {
      return mac(secret, `id.${session.id}`).slice(0, 16);
    },
    csrfToken(session) {
      return mac(secret, `csrf.${session.id}`);
    },
    checkCsrf(session, token) {
      return typeof token === "string" && sameText(token, mac(secret, `csrf.${session.id}`));
    },
  };
}
