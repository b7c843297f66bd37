// `audit verify`: recomputes the audit log's hash chain (exit 1 naming the first entry that does not
// match); `audit list`: the newest entries, like GET /v1/audit.
import { listAudit } from "../../audit/list.js";
import { type AuditAnchor, verifyAudit } from "../../audit/verify.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell, formatTable } from "../table.js";

export interface AuditListOptions {
  action?: string;
  target?: string;
  limit: number;
  json: boolean;
}

export async function verifyAuditCommand(
  { audit, out }: CommandContext,
  opts: { json: boolean; anchor?: AuditAnchor },
): Promise<number> {
  const verdict = await verifyAudit(audit, { anchor: opts.anchor });
  if (opts.json) printJson(out, verdict);
  else if (verdict.ok)
    out.print(`audit log verified: ${verdict.entries} entries, last hash ${verdict.lastHash}`);
  else out.error(`audit log does not verify at entry ${verdict.entryId}: ${verdict.problem}`);
  return verdict.ok ? EXIT.ok : EXIT.notFound;
}

export async function listAuditCommand(
  { audit, out }: CommandContext,
  opts: AuditListOptions,
): Promise<number> {
  const { items } = await listAudit(audit, opts);
  if (opts.json) {
    printJson(out, { entries: items });
    return EXIT.ok;
  }
  if (items.length === 0) {
    out.print("no audit entries");
    return EXIT.ok;
  }
  const lines = formatTable(
    ["ID", "AT", "ACTOR", "ACTION", "TARGET", "SUMMARY"],
    items.map((e) => [
      cell(e.id),
      cell(e.at),
      cell(`${e.actor.kind} ${e.actor.name ?? e.actor.id}`, 40),
      cell(e.action),
      cell(e.target, 40),
      cell(JSON.stringify(e.summary), 60),
    ]),
  );
  for (const line of lines) out.print(line);
  return EXIT.ok;
}
