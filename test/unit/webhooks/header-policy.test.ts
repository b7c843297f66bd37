import { describe, expect, it } from "vitest";
import { changesDestination, headersAfterMove } from "../../../src/webhooks/endpoints/header-policy.js";

describe("headers follow the host", () => {
  it("counts a change of scheme, host or port as another destination, not a path, a query or default ports", () => {
    const from = "https://merchant.test/hook";
    for (const to of [
      "https://merchant.test/other?x=1",
      "https://MERCHANT.test:443/hook",
      "https://u:p@merchant.test/",
    ])
      expect(changesDestination(from, to), to).toBe(false);
    for (const to of [
      "http://merchant.test/hook",
      "https://merchant.test:8443/hook",
      "https://evil.test/hook",
    ])
      expect(changesDestination(from, to), to).toBe(true);
    expect(changesDestination("amqp://mq.test/vhost", "amqp://mq.test:5672/other")).toBe(false);
    expect(changesDestination("nats://n.test", "nats://other.test")).toBe(true);
    expect(changesDestination(from, undefined)).toBe(false);
  });

  it("starts a moved endpoint from no headers and names the stored ones not set again", () => {
    const stored = { authorization: "Bearer a", "x-key": "k" };
    expect(headersAfterMove(stored, "https://a.test", "https://a.test/p", undefined)).toEqual({
      base: stored,
      dropped: [],
    });
    expect(headersAfterMove(stored, "https://a.test", "https://b.test", undefined)).toEqual({
      base: {},
      dropped: ["authorization", "x-key"],
    });
    expect(
      headersAfterMove(stored, "https://a.test", "https://b.test", { "x-key": "k2", authorization: null }),
    ).toEqual({
      base: {},
      dropped: ["authorization"],
    });
  });
});
