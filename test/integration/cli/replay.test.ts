// `replay`: a stored notification forwarded again, to new endpoints and failed ones, same webhook-id.
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordWrite } from "../../../src/audit/record.js";
import { ordersDeps } from "../../../src/orders/deps.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { replayNotification } from "../../../src/orders/replay.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import {
  createEndpoint,
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

const on = (path: string) => rx.received.filter((r) => r.path === path);

interface Step {
  deliveryId: string | null;
  webhookId: string;
  action: string;
  detail: string;
}

describe("replay", () => {
  it("delivers to a newly added endpoint and re-sends a failed one, with the original webhook-id", async () => {
    rx.on("/flaky", (n) => (n === 1 ? { status: 503 } : { status: 200 }));
    const old = await createEndpoint(h.db, { url: rx.url("/old") });
    const flaky = await createEndpoint(h.db, { url: rx.url("/flaky") });
    const { fanOut } = h.start({ webhookRetrySchedule: [] });
    const { notification } = await storeNotification(h.db, fanOut, {
      msgType: PAY_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "RP-1" }),
    });
    await waitSettled(h.db);
    const added = await createEndpoint(h.db, { url: rx.url("/added") });
    await createEndpoint(h.db, { url: rx.url("/declare-only"), msgTypes: ["DECLARE_STATUS_NOTIFY"] });
    const messageId = `msg_${notification.contentKey}`;

    const result = await cli(h, "replay", String(notification.id), "--wait", "--json");
    expect(result.code).toBe(0);
    const report = json<{
      messageId: string;
      steps: Step[];
      settled: Array<{ webhookId: string; status: string }>;
    }>(result);
    expect(report.messageId).toBe(messageId);
    expect(report.steps.map((s) => [s.webhookId, s.action]).sort()).toEqual(
      [
        [added.id, "new"],
        [flaky.id, "retry"],
        [old.id, "skipped"],
      ].sort(),
    );
    expect(report.steps.find((s) => s.webhookId === old.id)?.detail).toBe("already succeeded");
    expect(report.settled.map((s) => s.status)).toEqual(["succeeded", "succeeded"]);

    const [delivered] = on("/added");
    expect(on("/added")).toHaveLength(1);
    expect(delivered?.headers["webhook-id"]).toBe(messageId);
    expect(on("/old").map((r) => r.headers["webhook-id"])).toEqual([messageId]);
    expect(on("/flaky").map((r) => r.headers["webhook-id"])).toEqual([messageId, messageId]);
    const headers = {
      "webhook-id": messageId,
      "webhook-timestamp": String(delivered?.headers["webhook-timestamp"]),
      "webhook-signature": String(delivered?.headers["webhook-signature"]),
    };
    expect(new Webhook(added.secret).verify(delivered!.body, headers)).toMatchObject({ id: messageId });
    expect(on("/declare-only")).toEqual([]);

    // Everything has it now: nothing to replay, exit 1, and the table says why.
    const again = await cli(h, "replay", String(notification.id));
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`notification ${notification.id}: nothing to replay`);
    expect(again.stdout).toContain(`webhook-id ${messageId}`);
    expect(again.stdout.match(/already succeeded/g)).toHaveLength(3);
  });

  it("replays to one webhook only, and says why a disabled one gets nothing", async () => {
    const { fanOut } = h.start();
    const { notification } = await storeNotification(h.db, fanOut, { msgType: "T_ONE", msgBody: "{}" });
    // T_ONE is no type Payzero sends: only endpoints that name it take it.
    const msgTypes = ["T_ONE"];
    const one = await createEndpoint(h.db, { url: rx.url("/one-only"), msgTypes });
    const other = await createEndpoint(h.db, { url: rx.url("/not-this"), msgTypes });
    const off = await createEndpoint(h.db, { url: rx.url("/off"), enabled: false, msgTypes });
    const id = String(notification.id);

    const result = await cli(h, "replay", id, "--webhook", one.id, "--wait");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`new +\\d+ +${one.id} +no delivery yet`));
    expect(result.stdout).toContain("1 attempt due now");
    expect(on("/one-only")).toHaveLength(1);
    expect(await h.db.delivery.count({ where: { endpointId: other.id } })).toBe(0);

    const disabled = await cli(h, "replay", id, "--webhook", off.id);
    expect(disabled.code).toBe(1);
    expect(disabled.stdout).toMatch(new RegExp(`skipped +- +${off.id} +the webhook is disabled`));
    expect(on("/off")).toEqual([]);
  });

  it("exits 1 for an unknown notification or webhook", async () => {
    expect(await cli(h, "replay", "999999")).toEqual({
      code: 1,
      stdout: "",
      stderr: "no such notification: 999999",
    });
    const { notification } = await storeNotification(h.db, noFanOut, { msgType: "T_UNKNOWN", msgBody: "{}" });
    expect(await cli(h, "replay", String(notification.id), "--webhook", "wh_nope")).toEqual({
      code: 1,
      stdout: "",
      stderr: "no such webhook: wh_nope",
    });
  });
});

describe("the replay operation", () => {
  it("records each replay once, with its actor and counts and no message content; a refused one not at all", async () => {
    const records: Array<Parameters<RecordWrite>[0]> = [];
    const deps = ordersDeps(h.db, async (r) => {
      records.push(r);
    });
    const actor = { kind: "cli", user: "ops" } as const;
    const { fanOut } = h.start();
    const { notification } = await storeNotification(h.db, fanOut, {
      msgType: PAY_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "RP-AUD", payerName: "周小明", payerPhone: "13800138000" }),
    });
    const endpoint = await createEndpoint(h.db, { url: rx.url("/audited") });
    const replayed = await replayNotification(deps, actor, {
      notificationId: notification.id,
      webhookId: endpoint.id,
    });
    expect(replayed).toMatchObject({ notificationId: String(notification.id), steps: [{ action: "new" }] });
    expect(await replayNotification(deps, actor, { notificationId: 999_999n })).toEqual({
      code: 404,
      message: "no such notification: 999999",
    });
    expect(records).toEqual([
      {
        actor,
        action: "notification.replay",
        target: String(notification.id),
        summary: { webhookId: endpoint.id, new: 1, retried: 0 },
      },
    ]);
    expect(JSON.stringify(records)).not.toMatch(/周|13800138000|RP-AUD/);
  });
});
