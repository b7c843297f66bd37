// Who asked for an operation. Every operation of the three doors (/v1, the console, the CLI) takes
// one, so that what is recorded about a write (the audit log) is written in one place, the operation.

export type Actor =
  /** A bearer token on /v1: the root ADMIN_TOKEN (id "admin") or an API token of its own. */
  | { kind: "token"; id: string; name: string }
  /** A signed-in console session (id: the session's own id, never the cookie or the token). */
  | { kind: "console"; session: string }
  /** The operator CLI, run by whoever can reach the database. */
  | { kind: "cli"; user: string }
  /** The service itself (reconciler, retention, migrator). */
  | { kind: "system"; name: string };

export const adminTokenActor: Actor = { kind: "token", id: "admin", name: "ADMIN_TOKEN" };

/** One line naming an actor, for logs and the audit log. */
export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case "token":
      return `token ${actor.name} (${actor.id})`;
    case "console":
      return `console session ${actor.session}`;
    case "cli":
      return `cli ${actor.user}`;
    case "system":
      return `system ${actor.name}`;
  }
}
