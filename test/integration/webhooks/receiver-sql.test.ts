// The receiving recipe of docs/webhooks.md in SQL, on real Postgres (docs/examples/receiver.ts's
// statements) and real MariaDB 10.11 (docs/examples/receiver-mysql.sql, through the mariadb client):
// events of two orders, shuffled and with repeats, must leave each order at its newest state and each
// webhook-id once in the inbox, a repeat doing nothing.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receiveEvent, SCHEMA } from "../../../docs/examples/receiver.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";

const RECIPE = readFileSync(new URL("../../../docs/examples/receiver-mysql.sql", import.meta.url), "utf8");
const DOC = readFileSync(new URL("../../../docs/webhooks.md", import.meta.url), "utf8");

/** The statement(s) after `-- [name]`, up to the next blank line followed by a comment. */
function section(name: string): string {
  const start = RECIPE.indexOf(`-- [${name}]`);
  const rest = RECIPE.slice(start).split("\n").slice(1).join("\n");
  const end = rest.search(/\n\n--/);
  return (end === -1 ? rest : rest.slice(0, end))
    .split("\n")
    .filter((l) => !l.startsWith("--"))
    .join("\n")
    .trim();
}

interface Order {
  mchtOrderNo: string;
  version: number;
  payStatus: string;
  declareStatus: string;
  paymentAmount: number;
  paymentOrderNo: string | null;
}
interface Event {
  webhookId: string;
  type: string;
  order: Order;
}

/** Four changes of each order, and a stale message that came last (its version is the newest's). */
function eventsOf(no: string): Event[] {
  const states: Array<[string, string, string | null]> = [
    ["PAY_APPLIED", "NOT_DECLARED", null],
    ["PAY_SUCCEED", "NOT_DECLARED", "PO-1"],
    ["PAY_SUCCEED", "DECLARING", "PO-1"],
    ["PAY_SUCCEED", "DECLARED", "PO-'1\\"],
  ];
  const events = states.map(([payStatus, declareStatus, paymentOrderNo], i) => ({
    webhookId: `msg_${no}_${i + 1}`,
    type: i < 2 ? "PAY_STATUS_NOTIFY" : "DECLARE_STATUS_NOTIFY",
    order: {
      mchtOrderNo: no,
      version: i + 1,
      payStatus,
      declareStatus,
      paymentAmount: 35302,
      paymentOrderNo,
    },
  }));
  return [...events, { ...events[3]!, webhookId: `msg_${no}_stale`, type: "PAY_STATUS_NOTIFY" }];
}

const EVENTS = [...eventsOf("SQL-1"), ...eventsOf("SQL-2")];
const NEWEST = EVENTS.filter((e) => e.order.version === 4 && !e.webhookId.endsWith("stale")).map(
  (e) => e.order,
);

/** A deterministic shuffle of the events with some of them repeated (mulberry32). */
function deliveries(seed: number): Event[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const list = [...EVENTS, ...EVENTS.filter(() => random() < 0.4)];
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

const SEEDS = [1, 2, 3, 4, 5, 6];

/** Whether each delivery is the first of its webhook-id (so must be taken) or a repeat. */
const firsts = (list: Event[]) =>
  list.map((e, i) => list.findIndex((x) => x.webhookId === e.webhookId) === i);

describe("the receiving recipe in SQL", () => {
  it("is what docs/webhooks.md shows", () => {
    expect(DOC).toContain(RECIPE.trim());
  });

  describe("Postgres (docs/examples/receiver.ts)", () => {
    let tdb: TestDatabase;
    let pool: pg.Pool;
    beforeAll(async () => {
      tdb = await createTestDatabase();
      pool = new pg.Pool({ connectionString: tdb.url, max: 2 });
    });
    afterAll(async () => {
      await pool?.end();
      await tdb?.drop();
    });

    it.each(SEEDS)("keeps the newest state and each webhook-id once (shuffle %i)", async (seed) => {
      await pool.query("DROP TABLE IF EXISTS shop_orders, shop_webhook_inbox");
      await pool.query(SCHEMA);
      const list = deliveries(seed);
      const outcomes = [];
      for (const e of list) outcomes.push(await receiveEvent(pool, e.webhookId, e));
      expect(outcomes.map((o) => o === "repeat")).toEqual(firsts(list).map((first) => !first));
      const { rows } = await pool.query("SELECT * FROM shop_orders ORDER BY mcht_order_no");
      expect(rows.map(pgRow)).toEqual(NEWEST);
      const inbox = await pool.query("SELECT count(*)::int AS n FROM shop_webhook_inbox");
      expect(inbox.rows[0].n).toBe(EVENTS.length);
    });
  });

  describe("MariaDB (docs/examples/receiver-mysql.sql)", () => {
    const database = `receiver_${randomBytes(4).toString("hex")}`;
    let session: MariaSession;
    beforeAll(async () => {
      session = new MariaSession();
      await session.query(`CREATE DATABASE ${database}; USE ${database}`);
    });
    afterAll(async () => {
      await session?.query(`DROP DATABASE IF EXISTS ${database}`);
      session?.close();
    });

    it.each(SEEDS)("keeps the newest state and each webhook-id once (shuffle %i)", async (seed) => {
      await session.query("DROP TABLE IF EXISTS shop_orders, shop_webhook_inbox");
      await session.query(section("schema"));
      const list = deliveries(seed);
      const repeats: boolean[] = [];
      for (const e of list) {
        await session.query("START TRANSACTION");
        const [recorded] = await session.query(
          `${fill(section("record-event"), [e.webhookId, e.type])} SELECT ROW_COUNT();`,
        );
        repeats.push(recorded?.[0] === "0");
        if (recorded?.[0] !== "0") {
          const o = e.order;
          await session.query(
            fill(section("apply-order"), [
              o.mchtOrderNo,
              o.payStatus,
              o.declareStatus,
              o.paymentAmount,
              o.paymentOrderNo,
              o.version,
            ]),
          );
        }
        await session.query("COMMIT");
      }
      expect(repeats).toEqual(firsts(list).map((first) => !first));
      const rows = await session.query(
        "SELECT mcht_order_no, version, pay_status, declare_status, payment_amount, IFNULL(payment_order_no, '<null>') FROM shop_orders ORDER BY mcht_order_no",
      );
      expect(rows.map(mariaRow)).toEqual(NEWEST);
      expect(await session.query("SELECT count(*) FROM shop_webhook_inbox")).toEqual([
        [String(EVENTS.length)],
      ]);
    });
  });
});

function pgRow(r: Record<string, unknown>): Order {
  return {
    mchtOrderNo: String(r.mcht_order_no),
    version: Number(r.version),
    payStatus: String(r.pay_status),
    declareStatus: String(r.declare_status),
    paymentAmount: Number(r.payment_amount),
    paymentOrderNo: r.payment_order_no === null ? null : String(r.payment_order_no),
  };
}

/** A row as the client prints it in batch mode: tab-separated, \ and tab escaped (here: only \ occurs). */
function mariaRow(cells: string[]): Order {
  const [no, version, pay, declare, amount, paymentOrderNo] = cells.map((c) => c.replaceAll("\\\\", "\\"));
  return {
    mchtOrderNo: no!,
    version: Number(version),
    payStatus: pay!,
    declareStatus: declare!,
    paymentAmount: Number(amount),
    paymentOrderNo: paymentOrderNo === "<null>" ? null : paymentOrderNo!,
  };
}

/** The ? of a statement filled with literals, as a driver's client-side formatting does. */
function fill(sql: string, values: Array<string | number | null>): string {
  let i = 0;
  return sql.replace(/\?/g, () => {
    const v = values[i++];
    if (v === null || v === undefined) return "NULL";
    if (typeof v === "number") return String(v);
    return `'${v.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
  });
}

/**
 * One session of the mariadb command-line client (no MySQL driver is a dependency of this project):
 * statements go in on stdin, each batch ends with a marker whose echo says its rows are all out.
 */
class MariaSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private out = "";
  private err = "";
  private n = 0;
  constructor() {
    this.child = spawn("mariadb", [
      "-h",
      "127.0.0.1",
      "-P",
      "3306",
      "-u",
      "root",
      "--batch",
      "--skip-column-names",
      "--unbuffered",
    ]);
    this.child.stdout.on("data", (c: Buffer) => {
      this.out += c.toString("utf8");
    });
    this.child.stderr.on("data", (c: Buffer) => {
      this.err += c.toString("utf8");
    });
  }

  /** The rows the statements printed, each a list of cells. */
  async query(sql: string): Promise<string[][]> {
    const marker = `--done-${++this.n}--`;
    this.out = "";
    this.child.stdin.write(`${sql.trim().replace(/;$/, "")};\nSELECT '${marker}';\n`);
    const deadline = Date.now() + 10_000;
    while (!this.out.includes(`${marker}\n`)) {
      if (this.err !== "" || this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`mariadb: ${this.err || "no answer"} (to ${sql})`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const lines = this.out.slice(0, this.out.indexOf(marker)).split("\n").filter(Boolean);
    return lines.map((l) => l.split("\t"));
  }

  close(): void {
    this.child.stdin.end();
  }
}
