// Sign-in, sign-out, and the gate in front of every other console page and action: no session, no
// content (a redirect to the sign-in page); no valid CSRF token or a cross-site request, no action.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { isAuthorized } from "../api/bearer-auth.js";
import type { RecordWrite } from "../audit/record.js";
import { html } from "./html.js";
import { BASE, document, type PageContext } from "./layout.js";
import { cameOverHttps, crossSite } from "./security.js";
import type { Sessions } from "./session.js";

/**
 * Over HTTPS the cookie is `__Host-` prefixed (Secure, Path=/, no Domain: no other host or plain-HTTP
 * page can set or shadow it); over plain HTTP (a private network, an SSH tunnel) it is scoped to /console.
 */
const COOKIE = {
  plain: { name: "pzn_console", path: BASE },
  https: { name: "__Host-pzn_console", path: "/" },
};
const cookieOf = (request: FastifyRequest) => (cameOverHttps(request) ? COOKIE.https : COOKIE.plain);
type FormBody = Record<string, string | string[] | undefined>;

declare module "fastify" {
  interface FastifyRequest {
    consoleCtx: PageContext | null;
  }
  interface FastifyContextConfig {
    /** A console route open without a session (sign-in, the stylesheet). */
    public?: boolean;
  }
}

export interface AuthOptions {
  adminToken: string;
  sessions: Sessions;
  now: () => number;
  /** The audit log: every sign-in, and every refused token, is recorded there. */
  recordWrite: RecordWrite;
}

/** A wrong token given: no session, and nothing of what was typed. */
const SIGN_IN_REFUSED = {
  actor: { kind: "console", session: "none" },
  action: "console.sign-in-refused",
  target: "console",
  summary: { reason: "not the admin token" },
} as const;

const signedIn = (session: string) =>
  ({ actor: { kind: "console", session }, action: "console.sign-in", target: "console" }) as const;

/** Where to go after signing in: only a console path of ours, never another site. */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/console(\/[^\\]*)?$/.test(next) && !next.startsWith("//")
    ? next
    : BASE;
}

function formText(body: FormBody, name: string): string {
  const value = body[name];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

/** A form field as @fastify/formbody gives it: its text, or every value of a repeated field. */
const FormField = Type.Union([Type.String(), Type.Array(Type.String())]);
// A repeated `next` is no path of ours: safeNext sends it to the overview, as it always did.
const SignInQuery = Type.Object({ next: Type.Optional(FormField), signedOut: Type.Optional(FormField) });
const SignInForm = Type.Object({ token: Type.Optional(FormField), next: Type.Optional(FormField) });

export function authGate(scope: FastifyInstance, opts: AuthOptions): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.decorateRequest("consoleCtx", null);
  const toSignIn = (request: FastifyRequest, reply: FastifyReply) => {
    const next = request.method === "GET" ? `?next=${encodeURIComponent(request.url)}` : "";
    return reply.redirect(`${BASE}/login${next}`, 303);
  };
  const sessionOf = (request: FastifyRequest) =>
    opts.sessions.verify(request.cookies[cookieOf(request).name], opts.now());
  app.addHook("onRequest", async (request, reply) => {
    if (request.routeOptions.config.public) return;
    const session = await sessionOf(request);
    if (!session) return toSignIn(request, reply);
    request.consoleCtx = {
      csrf: opts.sessions.csrfToken(session),
      actor: { kind: "console", session: opts.sessions.sessionId(session) },
    };
  });
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST" || request.routeOptions.config.public) return;
    const session = await sessionOf(request);
    const token = formText((request.body ?? {}) as FormBody, "_csrf");
    if (!session || crossSite(request) || !opts.sessions.checkCsrf(session, token)) {
      return reply
        .code(403)
        .type("text/html; charset=utf-8")
        .send(
          document(
            "Refused",
            html`<h1>Refused</h1><p>This form was not sent from this console, or it is too old. Go back, reload the page and try again.</p><p><a href="${BASE}">Back to the console</a></p>`,
          ).text,
        );
    }
  });

  app.get(
    "/login",
    { config: { public: true }, schema: { querystring: SignInQuery } },
    async (request, reply) => {
      const q = request.query;
      return sendSignIn(reply, 200, safeNext(q.next), q.signedOut ? "You are signed out." : undefined);
    },
  );

  app.post(
    "/login",
    {
      config: { public: true, rateLimit: { max: 20, timeWindow: "1 minute" } },
      schema: { body: SignInForm },
    },
    async (request, reply) => {
      const body = request.body;
      const next = safeNext(formText(body, "next"));
      if (crossSite(request))
        return sendSignIn(reply, 403, next, undefined, "Sign in from this console's own page.");
      if (opts.adminToken === "")
        return sendSignIn(reply, 401, next, undefined, "The console is closed: ADMIN_TOKEN is not set.");
      if (!isAuthorized(`Bearer ${formText(body, "token").trim()}`, opts.adminToken)) {
        await opts.recordWrite(SIGN_IN_REFUSED);
        return sendSignIn(reply, 401, next, undefined, "That is not the admin token.");
      }
      const session = await opts.sessions.create(opts.now());
      await opts.recordWrite(signedIn(opts.sessions.sessionId(session)));
      const cookie = cookieOf(request);
      reply.setCookie(cookie.name, session.id, {
        path: cookie.path,
        httpOnly: true,
        sameSite: "strict",
        secure: cameOverHttps(request),
        expires: new Date(session.expiresAt),
      });
      return reply.redirect(next, 303);
    },
  );

  // The session ends in the store: the cookie, wherever copied, opens nothing any more.
  app.post("/logout", async (request, reply) => {
    const cookie = cookieOf(request);
    const id = request.cookies[cookie.name];
    if (id !== undefined) await opts.sessions.end(id);
    reply.clearCookie(cookie.name, {
      path: cookie.path,
      httpOnly: true,
      sameSite: "strict",
      secure: cameOverHttps(request),
    });
    return reply.redirect(`${BASE}/login?signedOut=1`, 303);
  });
}

function sendSignIn(reply: FastifyReply, code: number, next: string, notice?: string, error?: string) {
  const main = html`<div class="signin">
<h1>payzero-notify console</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ""}
${error ? html`<p class="error" role="alert" id="signin-error">${error}</p>` : ""}
<form method="post" action="${BASE}/login">
  <input type="hidden" name="next" value="${next}">
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus${error ? html` aria-describedby="signin-error"` : ""}>
  <button type="submit">Sign in</button>
</form>
<p class="hint">The token is the service's <code>ADMIN_TOKEN</code> setting (in <code>.env</code> with docker compose).</p>
</div>`;
  return reply.code(code).type("text/html; charset=utf-8").send(document("Sign in", main).text);
}
