// The broker URL helpers: what a publish and a connection take from a URL, and the credential mask. Pure.
import { describe, expect, it } from "vitest";
import { maskUrl, unmaskUrl } from "../../../src/webhooks/endpoints/url-mask.js";
import { amqpTarget, destinationKind, natsTarget } from "../../../src/webhooks/transports/broker-url.js";

describe("broker URLs", () => {
  it("pick the destination by scheme, whatever its case", () => {
    expect(
      ["https://a", "HTTP://a", "amqps://a", "AMQP://a", "nats://a", "ftp://a"].map(destinationKind),
    ).toEqual(["http", "http", "amqp", "amqp", "nats", undefined]);
  });

  it("connect to RabbitMQ without the destination parameters, so endpoints of one broker share a connection", () => {
    const a = amqpTarget("amqp://u:p@mq:5672/pay?exchange=x&heartbeat=30");
    const b = amqpTarget("amqp://u:p@mq:5672/pay?routingKey=k&exchange=y&heartbeat=30");
    expect(a).toEqual({
      connectionUrl: "amqp://u:p@mq:5672/pay?heartbeat=30",
      exchange: "x",
      routingKey: null,
    });
    expect(b).toMatchObject({ connectionUrl: a.connectionUrl, exchange: "y", routingKey: "k" });
    expect(amqpTarget("amqp://mq?exchange=").exchange).toBe("");
  });

  it("log in to NATS with a token or a user and password, and key the connection by server and credentials", () => {
    expect(natsTarget("nats://tok@n?subject=a")).toMatchObject({
      server: "n:4222",
      token: "tok",
      subject: "a",
    });
    expect(natsTarget("nats://u:p%40ss@n:4333?subject=a.b")).toMatchObject({
      server: "n:4333",
      user: "u",
      pass: "p@ss",
      subject: "a.b",
    });
    expect(natsTarget("nats://n?subject=a").connectionKey).toBe(
      natsTarget("nats://n:4222?subject=b").connectionKey,
    );
    expect(natsTarget("nats://u:p@n?subject=a").connectionKey).not.toBe(
      natsTarget("nats://u:q@n?subject=a").connectionKey,
    );
  });
});

describe("the credential mask", () => {
  it("hides passwords and NATS tokens, and leaves URLs without credentials as they are", () => {
    expect(maskUrl("amqps://u:secret@mq/v?exchange=x")).toBe("amqps://u:****@mq/v?exchange=x");
    expect(maskUrl("nats://token@n:4222?subject=a")).toBe("nats://****@n:4222?subject=a");
    expect(maskUrl("https://merchant.test/hook?x=1")).toBe("https://merchant.test/hook?x=1");
    expect(maskUrl("amqp://u@mq?exchange=x")).toBe("amqp://u@mq?exchange=x");
  });

  it("gives the stored credential back only to the same scheme, user, host and port", () => {
    const stored = "amqp://u:secret@mq:5672/v?exchange=x";
    expect(unmaskUrl("amqp://u:****@mq:5672/w?exchange=y", stored)).toBe(
      "amqp://u:secret@mq:5672/w?exchange=y",
    );
    for (const other of [
      "amqp://u:****@mq:5673/v?exchange=x",
      "amqp://v:****@mq:5672/v?exchange=x",
      "amqps://u:****@mq:5672/v?exchange=x",
      "amqp://u:****@elsewhere:5672/v?exchange=x",
    ])
      expect(unmaskUrl(other, stored)).toBe(other);
    expect(unmaskUrl("nats://****@n?subject=b", "nats://tok@n?subject=a")).toBe("nats://tok@n?subject=b");
  });
});
