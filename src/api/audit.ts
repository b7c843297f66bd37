// GET /v1/audit: the audit log, newest first, cursor pages by id.
import { listAudit } from "../audit/list.js";
import { ErrorReply } from "../ops/error-reply.js";
import { cursorAfter, idCursor } from "./pagination.js";
import { AuditEntry, AuditQuery } from "./schemas/audit.js";
import { Page } from "./schemas/common.js";
import type { V1RouteModule } from "./v1.js";

export const auditRoutes: V1RouteModule = async (app, { audit }) => {
  app.get(
    "/audit",
    {
      schema: {
        description:
          "The audit log (every write and console sign-in), newest first; `audit verify` in the CLI checks its hash chain.",
        tags: ["audit"],
        querystring: AuditQuery,
        response: { 200: Page(AuditEntry), "4xx": ErrorReply },
      },
    },
    async (request) => {
      const { action, target, cursor } = request.query;
      const result = await listAudit(audit, {
        action,
        target,
        before: idCursor(cursor),
        limit: request.query.limit ?? 50,
      });
      return { items: result.items, nextCursor: cursorAfter(result.next) };
    },
  );
};
