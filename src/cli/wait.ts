// `--wait`: follow deliveries until none is pending (a worker sent them), bounded in time.
import type { Db } from "../db/client.js";

export interface Settled {
  id: bigint;
  endpointId: string;
  status: string;
  attemptCount: number;
  lastError: string | null;
}

export async function waitForDeliveries(db: Db, ids: bigint[], timeoutMs: number): Promise<Settled[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.delivery.findMany({
      where: { id: { in: ids } },
      orderBy: { id: "asc" },
      select: { id: true, endpointId: true, status: true, attemptCount: true, lastError: true },
    });
    if (rows.every((r) => r.status !== "pending") || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Long enough for one attempt (the POST timeout) plus a worker picking the job up. */
export function waitBudgetMs(webhookTimeoutMs: number): number {
  return webhookTimeoutMs + 15_000;
}
