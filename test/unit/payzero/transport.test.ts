import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { PayzeroApiError, PayzeroHttpError } from "../../../src/payzero/errors.js";
import { PayzeroClient } from "../../../src/payzero/query-api.js";
import {
  apiUrlProblem,
  backoffDelay,
  callApi,
  decodeEnvelope,
  type Transport,
} from "../../../src/payzero/transport.js";

function transport(fetchImpl: typeof fetch, sleeps: number[] = []): Transport {
  return {
    baseUrl: "http://payzero.invalid/",
    timeoutMs: 20,
    retries: 2,
    backoffMs: 100,
    fetch: fetchImpl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

/** A fetch answering each call from the list in turn (an Error is thrown). */
function scripted(answers: Array<Response | Error>, calls: string[] = []): typeof fetch {
  return async (input) => {
    calls.push(String(input));
    const next = answers.shift();
    if (next === undefined) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  };
}

const envelope = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

describe("decodeEnvelope", () => {
  it("returns data of a success", () => {
    expect(
      decodeEnvelope("/p", 200, '{"success":true,"errorCode":null,"errorMsg":null,"data":{"a":1}}'),
    ).toEqual({
      a: 1,
    });
  });

  it("turns success:false into a PayzeroApiError with code and message", () => {
    const err = (() => {
      try {
        decodeEnvelope(
          "/p",
          200,
          '{"success":false,"errorCode":30001,"errorMsg":"参数 xxxx 未正确设置。","data":null}',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayzeroApiError);
    expect(err).toMatchObject({ errorCode: "30001", errorMsg: "参数 xxxx 未正确设置。", transient: false });
  });

  it.each(["not json", "[]", '{"data":{}}', "null"])("refuses a body that is not an envelope: %s", (text) => {
    expect(() => decodeEnvelope("/p", 200, text)).toThrow(PayzeroHttpError);
  });
});

describe("callApi", () => {
  it("joins the base URL and the path", async () => {
    const calls: string[] = [];
    await callApi(transport(scripted([envelope({ success: true, data: 1 })], calls)), "/a?b=1", {});
    expect(calls).toEqual(["http://payzero.invalid/a?b=1"]);
  });

  it("retries a 5xx and a network failure with doubling backoff", async () => {
    const sleeps: number[] = [];
    const t = transport(
      scripted([
        new Response("down", { status: 502 }),
        new TypeError("fetch failed"),
        envelope({ success: true, data: 7 }),
      ]),
      sleeps,
    );
    expect(await callApi(t, "/x", {})).toBe(7);
    expect(sleeps).toEqual([100, 200]);
  });

  it("gives up after the configured retries with the last transient error", async () => {
    const calls: string[] = [];
    const t = transport(
      scripted(
        [1, 2, 3, 4].map(() => new Response("", { status: 503 })),
        calls,
      ),
    );
    await expect(callApi(t, "/x", {})).rejects.toMatchObject({ name: "PayzeroHttpError", status: 503 });
    expect(calls).toHaveLength(3);
  });

  it.each([400, 401, 404])("does not retry HTTP %i", async (status) => {
    const calls: string[] = [];
    const t = transport(scripted([new Response("", { status }), envelope({ success: true })], calls));
    await expect(callApi(t, "/x", {})).rejects.toMatchObject({ status, transient: false });
    expect(calls).toHaveLength(1);
  });

  it("does not retry a business error", async () => {
    const calls: string[] = [];
    const t = transport(
      scripted([envelope({ success: false, errorCode: "1" }), envelope({ success: true })], calls),
    );
    await expect(callApi(t, "/x", {})).rejects.toBeInstanceOf(PayzeroApiError);
    expect(calls).toHaveLength(1);
  });

  it("turns a hung request into a transient timeout error and retries it", async () => {
    let calls = 0;
    const hang: typeof fetch = (_input, init) => {
      calls++;
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    };
    await expect(callApi(transport(hang), "/x", {})).rejects.toMatchObject({
      name: "PayzeroHttpError",
      status: null,
      transient: true,
      message: expect.stringContaining("no answer within 20 ms"),
    });
    expect(calls).toBe(3);
  });
});

describe("backoffDelay", () => {
  it("doubles and caps at 30 s", () => {
    expect([0, 1, 2, 10].map((a) => backoffDelay(500, a))).toEqual([500, 1000, 2000, 30_000]);
  });
});

describe("the query API's URL and redirects", () => {
  it("takes https:// anywhere and http:// only to this machine", () => {
    for (const url of [
      "https://api.payzero.cn",
      "http://127.0.0.1:4010",
      "http://localhost:4010",
      "http://[::1]:4010",
    ])
      expect(apiUrlProblem(url), url).toBeNull();
    for (const url of [
      "http://api.payzero.cn",
      "http://10.0.0.5",
      "http://127.0.0.1.nip.io",
      "ftp://x",
      "nope",
    ])
      expect(apiUrlProblem(url), url).not.toBeNull();
    expect(() => new PayzeroClient({ baseUrl: "http://api.payzero.cn", appId: "a", appKey: "k" })).toThrow(
      /https:\/\//,
    );
  });

  it("follows no redirect: a 307 to another host never gets the login's appKey", async () => {
    const elsewhere: string[] = [];
    const thief = createServer((req, res) => {
      let body = "";
      req
        .on("data", (c) => (body += c))
        .on("end", () => {
          elsewhere.push(body);
          res.end('{"success":true,"data":"stolen"}');
        });
    });
    await new Promise<void>((r) => thief.listen(0, "127.0.0.1", r));
    const target = `http://127.0.0.1:${(thief.address() as AddressInfo).port}/login`;
    const api = createServer((_req, res) => res.writeHead(307, { location: target }).end());
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    try {
      const t = {
        ...transport(globalThis.fetch),
        timeoutMs: 5000,
        baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      };
      const call = callApi(t, "/login", {
        method: "POST",
        body: '{"username":"a","password":"secret-app-key"}',
      });
      await expect(call).rejects.toMatchObject({ status: 307, transient: false });
      expect(elsewhere).toEqual([]);
    } finally {
      api.close();
      thief.close();
    }
  });
});
