// A client that opens a connection and then goes quiet, or trickles its request a byte at a time,
// is cut off soon after HTTP_TIMEOUT_MS, so idle or half-sent requests cannot pile up connections.

import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngestHarness, startIngest } from "../../support/ingest.js";

let h: IngestHarness;
let port: number;
beforeAll(async () => {
  h = await startIngest({ httpTimeoutMs: 500 });
  await h.app.listen({ host: "127.0.0.1", port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
});
afterAll(() => h.close());

function closedAfter(send: string, trickle = ""): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = "";
    let dribble: NodeJS.Timeout | undefined;
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(send);
      // One byte every 100 ms: never idle for HTTP_TIMEOUT_MS (500 ms), never finished either.
      if (trickle) dribble = setInterval(() => socket.write(trickle), 100);
    });
    socket.on("data", (d) => {
      answer += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(dribble);
      resolve({ ms: Date.now() - started, answer });
    });
    setTimeout(() => {
      clearInterval(dribble);
      socket.destroy();
      reject(new Error("the server kept the slow connection open"));
    }, 10_000);
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

  it("are answered 408 and disconnected when they trickle the headers", async () => {
    // Node's default check every 30 s would let this run past the 10 s guard in closedAfter.
    const { answer } = await closedAfter("POST /payzero/notify HTTP/1.1\r\nX-Slow: ", "a");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it.each(["application/json", "text/plain", "text/plain; charset=GBK", "application/json;charset=GB18030"])(
    "are disconnected when they trickle the body (%s)",
    async (type) => {
      const head = `POST /payzero/notify HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 100000\r\n\r\n`;
      const { answer } = await closedAfter(head, " ");
      expect(answer).not.toMatch(/OK$/);
    },
  );

  it.each([
    ["refused before its body is read", "POST /payzero/notify%00", "application/json", /^HTTP\/1\.1 400/],
    ["refused for its charset", "POST /payzero/notify", "text/plain; charset=latin1", /^HTTP\/1\.1 415/],
    ["answered without its body", "GET /healthz", "application/json", /^HTTP\/1\.1 200/],
  ])("are disconnected when they trickle the body of a request %s", async (_name, line, type, status) => {
    const head = `${line} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 100000\r\n\r\n`;
    const { answer } = await closedAfter(head, " ");
    expect(answer).toMatch(status);
  });

  it("are disconnected when they connect and say nothing", async () => {
    await closedAfter("");
  });
});
