// `backfill` against real Postgres, the delivery worker and an HTTP receiver.
import { beforeAll, describe, expect, it } from "vitest";
import { parseInvocation, UsageError } from "../../../src/cli/args.js";
import {
  createEndpoint,
  type Harness,
  storeNotifications,
  useHarnessAndReceiver,
  waitFor,
} from "../../support/harness.js";
import type { Receiver } from "../../support/receiver.js";
import { cli, json } from "./support.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
beforeAll(() => {
  ({ h, rx } = shared);
});

describe("cli backfill", () => {
  it("starts a backfill of a webhook and shows its progress", async () => {
    // Stored before the endpoint existed: no deliveries.
    const idle = h.start({ webhookPollIntervalMs: 60_000 });
    await h.stopWorkers();
    const since = new Date(Date.now() - 60_000);
    await storeNotifications(
      h.db,
      idle.fanOut,
      Array.from({ length: 5 }, (_, i) => ({
        msgType: "PAY_STATUS_NOTIFY",
        msgBody: `{"t":"T_CLI_BACKFILL","n":${i}}`,
      })),
    );
    rx.on("/cli-backfill", () => ({ status: 204 }));
    const endpoint = await createEndpoint(h.db, { url: rx.url("/cli-backfill") });

    const started = await cli(h, "backfill", endpoint.id, "--since", since.toISOString(), "--json");
    expect(started.code, started.stderr).toBe(0);
    expect(json<{ status: string; created: number }>(started)).toMatchObject({
      status: "running",
      created: 0,
    });

    h.start();
    const done = await waitFor("the backfill sent", async () => {
      const shown = await cli(h, "backfill", endpoint.id, "--json");
      const [b] = json<Array<{ status: string; created: number; deliveries: { succeeded: number } }>>(shown);
      return b?.status === "done" && b.deliveries.succeeded === 5 ? b : undefined;
    });
    expect(done).toMatchObject({ created: 5 });
    expect(rx.received.filter((r) => r.path === "/cli-backfill")).toHaveLength(5);

    const table = await cli(h, "backfill", endpoint.id);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/succeeded/);
    expect(table.stdout.split("\n")[2]).toMatch(/done\s+5\s+5\s+5\s+0\s+0$/);
  });

  it("says what is wrong: no such webhook, a bad time, --until without --since", async () => {
    const missing = await cli(h, "backfill", "no-such-webhook");
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining("no such webhook") });
    const started = await cli(h, "backfill", "no-such-webhook", "--since", "2026-11-01T00:00:00Z");
    expect(started).toMatchObject({ code: 1, stderr: expect.stringContaining("no such webhook") });
    expect(() => parseInvocation(["backfill", "x", "--since", "last week"])).toThrow(UsageError);
    expect(() => parseInvocation(["backfill", "x", "--until", "2026-11-01T00:00:00Z"])).toThrow(
      "--until needs --since",
    );
    expect(() => parseInvocation(["backfill"])).toThrow("missing <webhookId>");
  });
});
