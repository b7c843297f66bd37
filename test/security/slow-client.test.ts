// A client that opens a connection and then goes quiet is cut off after HTTP_TIMEOUT_MS,
// so idle or half-sent requests cannot pile up connections.

import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngestHarness, startIngest } from "../support/ingest.js";

let h: IngestHarness;
let port: number;
beforeAll(async () => {
  h = await startIngest({ httpTimeoutMs: 500 });
  await h.app.listen({ host: "127.0.0.1", port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
});
afterAll(() => h.close());

function closedAfter(send: string): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(send));
    socket.on("data", (d) => {
      answer += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ ms: Date.now() - started, answer }));
    setTimeout(() => reject(new Error("the server kept the silent connection open")), 10_000);
  });
}

describe("slow clients", () => {
  it("are disconnected when they stop in the middle of the headers", async () => {
    const { answer } = await closedAfter("POST /payzero/notify HTTP/1.1\r\nHost: x\r\nContent-Type: appl");
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it("are disconnected when the body never comes", async () => {
    const head =
      "POST /payzero/notify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    const { answer } = await closedAfter(head);
    expect(answer).not.toMatch(/OK$/);
  });

  it("are disconnected when they connect and say nothing", async () => {
    await closedAfter("");
  });
});
