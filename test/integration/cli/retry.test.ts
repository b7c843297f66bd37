// `deliveries` and `retry` against real Postgres, Redis, the delivery worker and an HTTP receiver.
import { beforeAll, describe, expect, it } from "vitest";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import {
  createEndpoint,
  freePort,
  type Harness,
  storeNotification,
  useHarnessAndReceiver,
  waitSettled,
} from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import type { Receiver } from "../../support/receiver.js";
import { cli, json } from "./support.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
beforeAll(() => {
  ({ h, rx } = shared);
});

const failing = (times: number) => (n: number) =>
  n <= times ? { status: 500, body: "down" } : { status: 204 };
const idsOn = (path: string) =>
  rx.received.filter((r) => r.path === path).map((r) => String(r.headers["webhook-id"]));

/** Two notifications to each endpoint, every delivery failed after its single attempt. */
async function failedDeliveries(tag: string, paths: string[]) {
  const endpoints = [];
  for (const path of paths) endpoints.push(await createEndpoint(h.db, { url: rx.url(path) }));
  const { fanOut } = h.start({ webhookRetrySchedule: [] });
  const stored = [];
  for (const no of [`${tag}-1`, `${tag}-2`])
    stored.push(
      await storeNotification(h.db, fanOut, {
        msgType: PAY_STATUS_NOTIFY,
        msgBody: orderBody({ mchtOrderNo: no }),
      }),
    );
  await waitSettled(h.db);
  return { endpoints, stored };
}

describe("deliveries", () => {
  it("lists failed deliveries newest first, as a table and as JSON, filtered by status and webhook", async () => {
    rx.on("/list", failing(99));
    const { endpoints, stored } = await failedDeliveries("LIST", ["/list"]);
    const [first, second] = stored.map((s) => String(s.deliveryIds[0]));

    const table = await cli(h, "deliveries");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^2 failed deliveries\nID +ENDPOINT +MESSAGE ID +STATUS +ATTEMPTS +LAST ERROR +UPDATED/,
    );
    expect(table.stdout.indexOf(`\n${second} `)).toBeLessThan(table.stdout.indexOf(`\n${first} `));
    expect(table.stdout).toContain(`msg_${stored[0]!.notification.contentKey}`);
    expect(table.stdout).toContain("HTTP 500");

    const listed = json<{ deliveries: Array<{ id: string; status: string; webhookId: string }> }>(
      await cli(h, "deliveries", "--json", "--webhook", endpoints[0]!.id, "--limit", "1"),
    );
    expect(listed.deliveries).toEqual([
      expect.objectContaining({ id: second, status: "failed", webhookId: endpoints[0]!.id }),
    ]);
    expect((await cli(h, "deliveries", "--status", "succeeded")).stdout).toBe("no succeeded deliveries");
    const unknown = await cli(h, "deliveries", "--webhook", "wh_nope");
    expect(unknown).toEqual({ code: 1, stdout: "", stderr: "no such webhook: wh_nope" });
  });
});

describe("retry", () => {
  it("re-sends one failed delivery that then succeeds, with the same webhook-id", async () => {
    rx.on("/one", failing(2));
    const { stored } = await failedDeliveries("ONE", ["/one"]);
    const id = String(stored[0]!.deliveryIds[0]);

    const result = await cli(h, "retry", id, "--wait");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`delivery ${id}: re-armed 1 failed delivery (${id})`);
    expect(result.stdout).toContain("1 attempt due now: a running worker sends them within 1 s");
    expect(result.stdout).toMatch(new RegExp(`\\n${id} +\\S+ +succeeded +2 `));

    const row = await h.db.delivery.findUniqueOrThrow({ where: { id: BigInt(id) } });
    expect(row).toMatchObject({ status: "succeeded", attemptCount: 2 });
    // The retry is the third request on /one (each notification failed once), under the original id.
    const messageId = `msg_${stored[0]!.notification.contentKey}`;
    expect(idsOn("/one")).toHaveLength(3);
    expect(idsOn("/one").at(-1)).toBe(messageId);
    expect(idsOn("/one").filter((x) => x === messageId)).toHaveLength(2);
    // Off the failed list, where the other notification's failed delivery still is.
    const listing = await cli(h, "deliveries");
    expect(listing.code).toBe(0);
    expect(listing.stdout).toContain(`msg_${stored[1]!.notification.contentKey}`);
    expect(listing.stdout).not.toMatch(new RegExp(`\\n${id} `));
  });

  it("re-sends every failed delivery of one endpoint and leaves the others' alone", async () => {
    rx.on("/all-a", failing(2));
    rx.on("/all-b", failing(99));
    const { endpoints } = await failedDeliveries("ALL", ["/all-a", "/all-b"]);
    const [a, b] = endpoints.map((e) => e.id);

    const retried = await cli(h, "retry", "--webhook", a!, "--all-failed", "--wait");
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`webhook ${a}: re-armed 2 failed deliveries`);
    expect(await h.db.delivery.count({ where: { endpointId: a, status: "succeeded" } })).toBe(2);
    expect(await h.db.delivery.count({ where: { endpointId: b, status: "failed", attemptCount: 1 } })).toBe(
      2,
    );

    const again = await cli(h, "retry", "--webhook", a!, "--all-failed");
    expect(again).toMatchObject({ code: 1, stderr: `webhook ${a}: no failed deliveries, nothing to retry` });

    // Still failing: --wait says so with exit 1, and --json gives each row's outcome.
    const stillDown = await cli(h, "retry", "--webhook", b!, "--all-failed", "--wait", "--json");
    expect(stillDown.code).toBe(1);
    const report = json<{ deliveryIds: string[]; settled: Array<{ status: string }> }>(stillDown);
    expect(report.deliveryIds).toHaveLength(2);
    expect(report.settled.map((s) => s.status)).toEqual(["failed", "failed"]);
  });

  it("refuses unknown ids and deliveries that are not failed, with exit 1", async () => {
    rx.on("/fine", failing(0));
    const ep = await createEndpoint(h.db, { url: rx.url("/fine") });
    const { fanOut } = h.start();
    const { deliveryIds } = await storeNotification(h.db, fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_FINE"}',
    });
    await waitSettled(h.db);

    expect(await cli(h, "retry", "999999")).toEqual({
      code: 1,
      stdout: "",
      stderr: "delivery 999999: no such delivery",
    });
    expect(await cli(h, "retry", String(deliveryIds[0]))).toMatchObject({
      code: 1,
      stderr: `delivery ${deliveryIds[0]}: only failed deliveries are retried (this one is succeeded)`,
    });
    expect(await cli(h, "retry", "--webhook", "wh_nope", "--all-failed")).toMatchObject({
      code: 1,
      stderr: "webhook wh_nope: no such webhook",
    });
    expect(idsOn("/fine")).toHaveLength(1);
    expect(ep.enabled).toBe(true);
  });

  it("needs no Redis: the row is re-armed in Postgres, where a worker claims it", async () => {
    rx.on("/later", failing(99));
    const { stored } = await failedDeliveries("LATER", ["/later"]);
    await h.stopWorkers();
    const id = String(stored[0]!.deliveryIds[0]);
    const noRedis = { ...h.config, redisUrl: `redis://127.0.0.1:${await freePort()}/0` };
    const result = await cli({ db: h.db, config: noRedis }, "retry", id);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("1 attempt due now");
    expect(await h.db.delivery.findUniqueOrThrow({ where: { id: BigInt(id) } })).toMatchObject({
      status: "pending",
      manualRetry: true,
    });
  });
});
