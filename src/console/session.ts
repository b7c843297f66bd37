// Console sessions as signed cookie values, and the CSRF token bound to each. Pure apart from the clock
// and the random source. The key derives from ADMIN_TOKEN: changing the token ends every session.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

interface Session {
  nonce: string;
  expiresAt: number;
}

export interface SessionKeys {
  create(now: number): { value: string; session: Session };
  verify(value: string | undefined, now: number): Session | undefined;
  csrfToken(session: Session): string;
  /** The session's name in logs and the audit log: derived from it, but opening nothing. */
  sessionId(session: Session): string;
  checkCsrf(session: Session, token: unknown): boolean;
}

function mac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sessionKeys(adminToken: string, lifetimeMs: number): SessionKeys {
  const key = createHmac("sha256", "payzero-notify console").update(adminToken, "utf8").digest();
  return {
    create(now) {
      const session = { nonce: randomBytes(18).toString("base64url"), expiresAt: now + lifetimeMs };
      const body = `${session.expiresAt}.${session.nonce}`;
      return { value: `${body}.${mac(key, `session.${body}`)}`, session };
    },
    verify(value, now) {
      if (adminToken === "" || value === undefined) return undefined;
      const match = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!match) return undefined;
      const [, expires, nonce, signature] = match as unknown as [string, string, string, string];
      if (!sameText(signature, mac(key, `session.${expires}.${nonce}`))) return undefined;
      const expiresAt = Number(expires);
      return expiresAt > now ? { nonce, expiresAt } : undefined;
    },
    sessionId(session) {
      return mac(key, `id.${session.nonce}`).slice(0, 16);
    },
    csrfToken(session) {
      return mac(key, `csrf.${session.nonce}`);
    },
    checkCsrf(session, token) {
      return typeof token === "string" && sameText(token, mac(key, `csrf.${session.nonce}`));
    },
  };
}
