// Replays captured statements under EXPLAIN ANALYZE (in a transaction rolled back, so writes
// change nothing) and names every scan that reads a large table whole or a large share of it:
// a statement whose cost grows with the history instead of with its own batch or page.
import pg from "pg";
import type { Statement } from "./capture.js";

/** A table this big (pg_class.reltuples after ANALYZE) must be reached through an index. */
const LARGE_TABLE_ROWS = 10_000;
/** A scan reading more than this share of a large table's rows is as bad as reading it whole. */
const MAX_SHARE_READ = 0.01;

export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

export interface PlanProblem {
  statement: string;
  problem: string;
}

/** Statements EXPLAIN takes; BEGIN, COMMIT and the like are skipped. */
const EXPLAINABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b/i;

/**
 * The audit append inserts the id it read under the audit head's lock (src/audit/store.ts): replayed
 * after its commit it collides with itself. It reads one head row by its key and writes one entry.
 */
const REPLAY_COLLIDES = /INSERT INTO audit_log\b/i;

export async function largeTables(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ relname: string; reltuples: number }>(
    `SELECT relname, reltuples::float8 AS reltuples FROM pg_class
      WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND reltuples >= $1`,
    [LARGE_TABLE_ROWS],
  );
  return new Map(rows.map((r) => [r.relname, r.reltuples]));
}

/** The plan of one statement with its parameters, as Postgres ran it. */
export async function explain(client: pg.Client, statement: Statement): Promise<PlanNode> {
  await client.query("BEGIN");
  try {
    const { rows } = await client.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>({
      text: `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
      values: statement.values,
    });
    const plan = rows[0]?.["QUERY PLAN"][0]?.Plan;
    if (!plan) throw new Error(`no plan for ${statement.text}`);
    return plan;
  } finally {
    await client.query("ROLLBACK");
  }
}

function* nodes(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

/** What is wrong with this plan, given the large tables' sizes; empty when nothing is. */
export function planProblems(plan: PlanNode, large: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const node of nodes(plan)) {
    const relation = node["Relation Name"];
    const size = relation === undefined ? undefined : large.get(relation);
    if (!node["Node Type"].endsWith("Scan") || relation === undefined || size === undefined) continue;
    const loops = node["Actual Loops"] ?? 1;
    const read =
      loops *
      ((node["Actual Rows"] ?? 0) +
        (node["Rows Removed by Filter"] ?? 0) +
        (node["Rows Removed by Index Recheck"] ?? 0));
    const where = `${node["Node Type"]} on ${relation}${node["Index Name"] ? ` using ${node["Index Name"]}` : ""}`;
    if (node["Node Type"] === "Seq Scan") problems.push(`${where}: reads the whole table (${size} rows)`);
    else if (read > size * MAX_SHARE_READ) problems.push(`${where}: reads ${read} of its ${size} rows`);
  }
  return problems;
}

/** Every problem of every explainable statement, each with the statement it is about. */
export async function checkStatements(databaseUrl: string, statements: Statement[]): Promise<PlanProblem[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const large = await largeTables(client);
    const found: PlanProblem[] = [];
    for (const statement of statements.filter(
      (s) => EXPLAINABLE.test(s.text) && !REPLAY_COLLIDES.test(s.text),
    )) {
      const plan = await explain(client, statement);
      const oneLine = statement.text.replace(/\s+/g, " ").trim();
      for (const problem of planProblems(plan, large)) found.push({ statement: oneLine, problem });
    }
    return found;
  } finally {
    await client.end();
  }
}
