// The delivery metrics carry an endpoint label: the series of endpoints deleted since are dropped on
// a timer, so the registry of a long-running worker holds the endpoints that exist, not every one ever.
import type { Logger } from "pino";
import type { Db } from "../../db/client.js";
import { forgetEndpoints, labelledEndpoints } from "../../ops/metrics.js";
import { repeat } from "../../util.js";

/** Drops the series of labelled endpoints that no longer exist; returns their ids. */
async function pruneEndpointMetrics(db: Db): Promise<string[]> {
  const labelled = await labelledEndpoints();
  if (labelled.length === 0) return [];
  const present = await db.webhookEndpoint.findMany({
    where: { id: { in: labelled } },
    select: { id: true },
  });
  const kept = new Set(present.map((e) => e.id));
  const gone = labelled.filter((id) => !kept.has(id));
  await forgetEndpoints(gone);
  return gone;
}

export function startEndpointMetricsPruner(
  db: Db,
  log: Logger,
  intervalMs: number,
): { stop: () => Promise<void> } {
  const loop = repeat(
    async () => {
      await pruneEndpointMetrics(db);
    },
    { intervalMs, firstDelayMs: intervalMs },
    (err) => log.warn({ err }, "endpoint metrics not pruned"),
  );
  return { stop: loop.stop };
}
