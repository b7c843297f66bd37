// The simulator's sender against the real receiver, and against a receiver that is not ready yet.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyKey, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { generateBatch } from "../../../src/simulator/batch.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import { type AttemptReport, sendAll, sendWithResends } from "../../../src/simulator/payzero-sender.js";
import { PAYZERO_RESEND_OFFSETS_MS, scaleSchedule } from "../../../src/simulator/resend-schedule.js";
import { TEST_SIGN_TOKEN } from "../../support/config.js";
import { type IngestHarness, queuedMessage, startIngest } from "../../support/ingest.js";

const fast = scaleSchedule(PAYZERO_RESEND_OFFSETS_MS, 0.00001);
let h: IngestHarness;
let notifyUrl: string;

beforeAll(async () => {
  h = await startIngest();
  await h.app.listen({ host: "127.0.0.1", port: 0 });
  notifyUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/payzero/notify`;
});
afterAll(async () => {
  await h?.close();
});

/** A receiver answering each request from `answers` in turn, then "OK". */
async function flakyReceiver(answers: Array<[number, string]>) {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const [status, body] = answers[n++] ?? [200, "OK"];
      res.writeHead(status, { "content-type": "text/plain" }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests: () => n,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("sendWithResends", () => {
  it("is accepted by the service's receiver, which queues the message", async () => {
    const [m] = generateBatch({ orders: 1, failRate: 0, seed: 1, prefix: "SEND-" }).messages;
    const result = await sendWithResends(m!, { url: notifyUrl, signToken: TEST_SIGN_TOKEN, offsetsMs: fast });
    expect(result).toEqual({ delivered: true, attempts: 1 });
    expect(await queuedMessage(h.queue, bodyKey(m!.msgBody))).toBeDefined();
  });

  it("sends again on the schedule until it reads exactly OK", async () => {
    const r = await flakyReceiver([
      [500, "oops"],
      [200, "ok"],
      [200, "received"],
    ]);
    const reports: AttemptReport[] = [];
    try {
      const result = await sendWithResends(
        { msgType: PAY_STATUS_NOTIFY, msgBody: "{}" },
        { url: r.url, signToken: "t", offsetsMs: fast, onAttempt: (a) => reports.push(a) },
      );
      expect(result).toEqual({ delivered: true, attempts: 4 });
      expect(reports.map((a) => [a.status, a.answer, a.delivered])).toEqual([
        [500, "oops", false],
        [200, "ok", false],
        [200, "received", false],
        [200, "OK", true],
      ]);
    } finally {
      await r.close();
    }
  });

  it("gives up after the sixth attempt, like Payzero", async () => {
    const r = await flakyReceiver(Array.from({ length: 10 }, () => [503, "unavailable"] as [number, string]));
    try {
      const result = await sendWithResends(
        { msgType: PAY_STATUS_NOTIFY, msgBody: "{}" },
        { url: r.url, signToken: "t", offsetsMs: fast },
      );
      expect(result).toEqual({ delivered: false, attempts: 6 });
      expect(r.requests()).toBe(6);
    } finally {
      await r.close();
    }
  });

  it("counts a refused signature as not delivered", async () => {
    const result = await sendWithResends(
      { msgType: PAY_STATUS_NOTIFY, msgBody: "{}" },
      { url: notifyUrl, signToken: "wrong-token", offsetsMs: [0] },
    );
    expect(result).toEqual({ delivered: false, attempts: 1 });
  });
});

describe("sendAll", () => {
  it("delivers a whole batch to the receiver", async () => {
    const batch = generateBatch({ orders: 15, failRate: 0.2, seed: 5, prefix: "ALL-" });
    const result = await sendAll(
      batch.messages,
      { url: notifyUrl, signToken: TEST_SIGN_TOKEN, offsetsMs: fast },
      4,
    );
    expect(result).toEqual({ delivered: batch.messages.length, undelivered: 0 });
    for (const m of batch.messages) expect(await queuedMessage(h.queue, bodyKey(m.msgBody))).toBeDefined();
  });
});

describe("fake API /_sim/orders", () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi({ appId: "a", appKey: "k" });
  });
  afterAll(async () => {
    await api?.close();
  });

  it("fills the store from another process and refuses what is not an order", async () => {
    const post = (body: unknown) =>
      fetch(`${api.url}/_sim/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post([{ mchtOrderNo: "R-1", payStatus: "PAY_SUCCEED" }])).status).toBe(200);
    expect(api.state.orders.get("R-1")).toEqual({ mchtOrderNo: "R-1", payStatus: "PAY_SUCCEED" });
    expect((await post([{ payStatus: "PAY_SUCCEED" }])).status).toBe(400);
    expect((await post({ mchtOrderNo: "R-2" })).status).toBe(400);
  });
});
