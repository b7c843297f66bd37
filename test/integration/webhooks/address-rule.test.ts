// Issue #15 part 6: no requests where they must not go. Link-local and cloud metadata addresses and
// the service's own listener are refused when an endpoint is saved and again whenever a send connects
// (a DNS change after the save); private addresses stay allowed; WEBHOOK_ALLOW_ADDRESSES opens them.
import { globalAgent } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { buildPayload, signRequest } from "../../../src/webhooks/delivery/payload.js";
import {
  destinationPolicy,
  destinationProblem,
  REFUSED_CODE,
  type Resolver,
} from "../../../src/webhooks/endpoints/address-rule.js";
import { postWebhook } from "../../../src/webhooks/transports/http-post.js";
import {
  auth,
  buildV1,
  createEndpoint,
  type Harness,
  storeNotification,
  useHarnessAndReceiver,
  waitFor,
  waitSettled,
} from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import type { Receiver } from "../../support/receiver.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
beforeAll(() => {
  ({ h, rx } = shared);
});

/** A resolver that answers from a table (the test's DNS), changeable between calls. */
function fakeDns(table: Record<string, string>): Resolver {
  return (hostname, _options, callback) => {
    const address = table[hostname];
    if (!address) return callback(Object.assign(new Error(`no ${hostname}`), { code: "ENOTFOUND" }), []);
    callback(null, [{ address, family: address.includes(":") ? 6 : 4 }]);
  };
}

describe("saving an endpoint", () => {
  it("refuses link-local and metadata addresses and the own listener with 400, storing nothing", async () => {
    const port = h.config.port;
    const app = await buildV1(h);
    const post = (url: string) =>
      app.inject({ method: "POST", url: "/v1/webhooks", headers: auth, payload: { url } });
    try {
      for (const [url, shown] of [
        ["http://169.254.169.254/latest/meta-data", "169.254.169.254 a link-local or cloud metadata address"],
        ["http://2852039166/latest/meta-data", "169.254.169.254 a link-local or cloud metadata address"],
        ["http://[fe80::1]:8080/hook", "fe80::1 a link-local or cloud metadata address (port 8080)"],
        ["http://[fd00:ec2::254]/latest", "fd00:ec2::254 a link-local or cloud metadata address"],
        ["http://[::ffff:169.254.169.254]/", "a link-local or cloud metadata address"],
        [`http://127.0.0.1:${port}/v1/webhooks`, `this service's own listener (port ${port})`],
        [`http://localhost:${port}/payzero/notify`, `localhost resolves to`],
      ]) {
        const res = await post(url!);
        expect(res.statusCode, url).toBe(400);
        const message = String(res.json().message);
        expect(message, url).toContain(shown);
        expect(message).toContain("refused (WEBHOOK_ALLOW_ADDRESSES allows it)");
      }
      expect(await h.db.webhookEndpoint.count()).toBe(0);

      // Internal systems on private addresses, and loopback on other ports, stay allowed.
      for (const url of [
        "http://10.1.2.3/erp",
        "http://192.168.10.20:8443/hook",
        "http://172.16.0.9/x",
        `http://127.0.0.1:${port + 1}/local`,
        "http://[fd00:ec2::253]/not-the-metadata-one",
      ])
        expect((await post(url)).statusCode, url).toBe(201);

      const ok = await post("http://10.9.9.9/");
      const patched = await app.inject({
        method: "PATCH",
        url: `/v1/webhooks/${ok.json().id}`,
        headers: auth,
        payload: { url: "http://169.254.169.254/" },
      });
      expect(patched.statusCode).toBe(400);
      expect(
        (await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: String(ok.json().id) } })).url,
      ).toBe("http://10.9.9.9/");
    } finally {
      await app.close();
    }
  });

  it("accepts them where WEBHOOK_ALLOW_ADDRESSES says so", async () => {
    const app = await buildV1(h, { webhookAllowAddresses: ["169.254.169.254/32", "fe80::/10"] });
    try {
      const post = (url: string) =>
        app.inject({ method: "POST", url: "/v1/webhooks", headers: auth, payload: { url } });
      expect((await post("http://169.254.169.254/latest")).statusCode).toBe(201);
      expect((await post("http://[fe80::1]/")).statusCode).toBe(201);
      expect((await post("http://169.254.1.1/")).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it("checks every address a host name resolves to", async () => {
    const policy = destinationPolicy(
      h.config,
      fakeDns({
        "meta.internal": "169.254.169.254",
        "v6meta.internal": "fd00:ec2::254",
        "erp.internal": "10.0.0.5",
      }),
    );
    expect(await destinationProblem(policy, "meta.internal", 80)).toBe(
      "meta.internal resolves to 169.254.169.254, which is a link-local or cloud metadata address (port 80): refused (WEBHOOK_ALLOW_ADDRESSES allows it)",
    );
    expect(await destinationProblem(policy, "v6meta.internal", 443)).toContain("resolves to fd00:ec2::254");
    expect(await destinationProblem(policy, "erp.internal", 80)).toBeUndefined();
    // Not resolvable here: not refused at save (the workers may resolve it); every send checks.
    expect(await destinationProblem(policy, "nowhere.internal", 80)).toBeUndefined();
  });
});

describe("sending", () => {
  const request = () =>
    signRequest(
      ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      buildPayload({
        contentKey: "c".repeat(64),
        msgType: PAY_STATUS_NOTIFY,
        timestamp: 1n,
        msgBody: "{}",
        source: "payzero-notify",
        orderAfter: null,
      }),
      new Date(),
    );

  it("checks the address again when it connects: a DNS change after the save fails the attempt, no POST", async () => {
    const dns = { "flip.internal": "127.0.0.1" };
    const policy = destinationPolicy(h.config, fakeDns(dns));
    const url = rx.url("/flip").replace("127.0.0.1", "flip.internal");
    expect(
      await destinationProblem(policy, "flip.internal", new URL(url).port ? Number(new URL(url).port) : 80),
    ).toBeUndefined();

    const first = await postWebhook(url, request(), 5000, { policy });
    expect(first).toMatchObject({ ok: true, statusCode: 200 });
    expect(rx.received.filter((r) => r.path === "/flip")).toHaveLength(1);

    // The kept-alive connection goes: the next send connects anew, and so resolves the name again.
    rx.dropConnections();
    await waitFor("the pooled connection to close", async () =>
      Object.keys(globalAgent.freeSockets).every((name) => !name.startsWith("flip.internal")),
    );
    dns["flip.internal"] = "169.254.169.254";
    const second = await postWebhook(url, request(), 5000, { policy });
    expect(second).toMatchObject({ ok: false, statusCode: null, responseExcerpt: null });
    expect(second.error).toBe(
      `${REFUSED_CODE}: flip.internal resolves to 169.254.169.254, which is a link-local or cloud metadata address (port ${new URL(url).port}): refused (WEBHOOK_ALLOW_ADDRESSES allows it)`,
    );
    expect(rx.received.filter((r) => r.path === "/flip")).toHaveLength(1);
  });

  it("fails deliveries to the own listener, by address or by name, without posting, with the reason", async () => {
    // Saved before the rule (or by hand): the workers refuse them on each attempt.
    const port = Number(new URL(rx.url("/")).port);
    await createEndpoint(h.db, { url: rx.url("/by-address") });
    await createEndpoint(h.db, { url: `http://localhost:${port}/by-name` });
    const { fanOut } = h.start({ port, webhookRetrySchedule: [0] });
    await storeNotification(h.db, fanOut, {
      msgType: PAY_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "SSRF-1" }),
    });
    await waitSettled(h.db);
    const deliveries = await h.db.delivery.findMany({ include: { attempts: true, endpoint: true } });
    expect(deliveries).toHaveLength(2);
    for (const d of deliveries) {
      expect(d.status, d.endpoint.url).toBe("failed");
      expect(d.attempts).toHaveLength(2);
      for (const a of d.attempts) {
        expect(a.statusCode).toBeNull();
        expect(a.error).toMatch(
          new RegExp(`^${REFUSED_CODE}: .*this service's own listener \\(port ${port}\\)`),
        );
      }
    }
    expect(rx.received).toHaveLength(0);
  });
});
