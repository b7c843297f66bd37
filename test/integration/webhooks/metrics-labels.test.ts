// The delivery metrics are labelled by endpoint: a deleted endpoint's series must not stay in the
// worker's registry for the life of the process (endpoints come and go; the registry would only grow).
import { beforeAll, describe, expect, it } from "vitest";
import { registry } from "../../../src/ops/metrics.js";
import {
  createEndpoint,
  type Harness,
  storeNotification,
  useHarnessAndReceiver,
  waitFor,
  waitSettled,
} from "../../support/harness.js";
import type { Receiver } from "../../support/receiver.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
beforeAll(() => {
  ({ h, rx } = shared);
});

const labelled = async (endpointId: string) =>
  (await registry.metrics()).includes(`endpoint="${endpointId}"`);

describe("delivery metrics of a deleted endpoint", () => {
  it("are dropped from /metrics, while a live endpoint's stay", async () => {
    const gone = await createEndpoint(h.db, { url: rx.url("/gone") });
    const kept = await createEndpoint(h.db, { url: rx.url("/kept") });
    const workers = h.start();
    await storeNotification(h.db, workers.fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"m":"labels"}',
    });
    await waitSettled(h.db);
    expect(await labelled(gone.id)).toBe(true);
    expect(await labelled(kept.id)).toBe(true);

    await h.db.webhookEndpoint.delete({ where: { id: gone.id } });
    await waitFor("the deleted endpoint's series to go", async () => !(await labelled(gone.id)), 5000);
    expect(await labelled(kept.id)).toBe(true);
  });
});
