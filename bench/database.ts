// `--phase database`: what a database destination costs per message beside an HTTP one. The same burst
// twice on a fresh service: once to the HTTP receiver, once to a Postgres destination (a database of
// the bench's own, made here and dropped after) instead; for each, the CPU per message of the service,
// its Postgres and Redis, and for the database destination the merchant database's backends apart.

import { queryDatabase } from "../test/support/admin.js";
import { perMessage, startCpuMeter } from "./cpu.js";
import { burst } from "./load.js";
import { ADMIN_TOKEN, burstUntilForwarded, command, freshService, type PhaseContext } from "./phases.js";
import { withDeadline } from "./processes.js";

const TABLE = "payzero_orders";

async function api(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

export async function runDatabase(ctx: PhaseContext): Promise<void> {
  const n = ctx.s.burstSize;
  const cmd = command(ctx, "database");

  console.log(`database: burst of ${n} to the HTTP receiver …`);
  const http = await freshService(ctx);
  const r = await burstUntilForwarded(ctx, http, n, "database-http");
  await http.child.stop();
  ctx.figures.push({
    figure: `7. burst of ${n} to an HTTP endpoint: CPU per forwarded message`,
    value: perMessage(r.cpu, r.forwarded, n),
    command: cmd,
  });

  const merchant = `${ctx.resources.database}_merchant`;
  const admin = new URL(ctx.resources.pgAdminUrl);
  const merchantUrl = new URL(admin);
  merchantUrl.pathname = `/${merchant}`;
  await queryDatabase(ctx.resources.pgAdminUrl, `CREATE DATABASE "${merchant}"`);
  try {
    console.log(`database: burst of ${n} to a Postgres destination …`);
    const service = await freshService(ctx);
    const base = new URL(service.url).origin;
    // The HTTP endpoint out of the way (the next phase's freshService makes it again), the database one in.
    const list = (await (await api(base, "GET", "/webhooks")).json()) as { items: Array<{ id: string }> };
    for (const e of list.items) await api(base, "DELETE", `/webhooks/${e.id}`);
    const destination = new URL(merchantUrl);
    destination.searchParams.set("table", TABLE);
    const created = await api(base, "POST", "/webhooks", {
      url: destination.toString(),
      description: "bench db",
    });
    if (created.status !== 201)
      throw new Error(`POST /v1/webhooks: ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };

    const pid = service.child.child.pid ?? 0;
    const targets = {
      servicePid: pid,
      pgAdminUrl: ctx.resources.pgAdminUrl,
      redisUrl: ctx.resources.redisUrl,
    };
    const cpu = await startCpuMeter({ ...targets, database: ctx.resources.database });
    const merchantCpu = await startCpuMeter({ ...targets, database: merchant });
    const started = Date.now();
    const sent = await burst(service.url, "database-pg", n);
    if (sent.notOk > 0) ctx.failures.push(`database-pg: ${sent.notOk} requests not answered 2xx`);
    const stored = async () =>
      Number(
        (await queryDatabase(merchantUrl.toString(), `SELECT count(*) AS n FROM ${TABLE}_events`)).rows[0]?.n,
      );
    const reached = (async () => {
      while ((await stored()) < sent.ok) await new Promise((resolve) => setTimeout(resolve, 100));
      return Date.now();
    })();
    const at = await withDeadline(reached, ctx.s.forwardDeadlineMs, "not every message was stored").catch(
      (err: Error) => {
        ctx.failures.push(`database-pg: ${err.message}`);
        return null;
      },
    );
    const [spent, merchantSpent] = await Promise.all([cpu.stop(), merchantCpu.stop()]);
    const count = await stored();
    await api(base, "DELETE", `/webhooks/${id}`);
    await service.child.stop();
    ctx.figures.push(
      {
        figure: `7. burst of ${n} to a Postgres destination: CPU per stored message`,
        value: perMessage(spent, count, n),
        command: cmd,
      },
      {
        figure: `7. burst of ${n} to a Postgres destination: the merchant database's CPU per message`,
        value: `${((1000 * merchantSpent.postgres) / Math.max(count, 1)).toFixed(2)} ms`,
        command: cmd,
      },
      {
        figure: `7. burst of ${n} to a Postgres destination: all stored, end to end`,
        value: at === null ? "not all" : `${((at - started) / 1000).toFixed(2)} s`,
        command: cmd,
      },
    );
  } finally {
    await queryDatabase(ctx.resources.pgAdminUrl, `DROP DATABASE IF EXISTS "${merchant}" WITH (FORCE)`);
  }
}
