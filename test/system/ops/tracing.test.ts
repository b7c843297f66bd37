// OpenTelemetry tracing through the real service (its own processes: the SDK registers globals): an
// OTLP/HTTP receiver run here collects the spans, a webhook receiver the requests. One notification
// gives one trace: receipt, enqueue, apply, and each attempt, a retry from Postgres included; the
// endpoint receives its traceparent. Without an OTLP endpoint nothing of it happens.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedKey } from "../../../src/payzero/envelope.js";
import { queryDatabase } from "../../support/admin.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type ServiceProcess, serviceEnv, startService } from "../../support/processes.js";
import { deleteKeys } from "../../support/redis.js";
import { freePort } from "../../support/redis-server.js";

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
}

/** OTLP/JSON ids are hex; some encoders send base64: both read as hex. */
const hexId = (id: unknown): string =>
  typeof id !== "string" || id === ""
    ? ""
    : /^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)
      ? id.toLowerCase()
      : Buffer.from(id, "base64").toString("hex");

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

const readBody = (req: NodeJS.ReadableStream) =>
  new Promise<string>((resolve, reject) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });

const spans: ExportedSpan[] = [];
const otlpRequests: string[] = [];
const otlp = createServer(async (req, res) => {
  const body = await readBody(req);
  otlpRequests.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
  if (req.method === "POST" && req.url === "/v1/traces") {
    const data = JSON.parse(body);
    for (const rs of data.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === "service.name")?.value
        ?.stringValue;
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          spans.push({
            traceId: hexId(s.traceId),
            spanId: hexId(s.spanId),
            parentSpanId: hexId(s.parentSpanId),
            name: s.name,
            kind: s.kind,
            service,
          });
    }
  }
  res.writeHead(200, { "content-type": "application/json" }).end("{}");
});

const hooks: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
/** Answers 503 to the first POST of each webhook-id, 200 after: every delivery needs a retry. */
const webhook = createServer(async (req, res) => {
  const body = await readBody(req);
  const first = !hooks.some((h) => h.headers["webhook-id"] === req.headers["webhook-id"]);
  hooks.push({ headers: req.headers, body });
  res.writeHead(first ? 503 : 200).end(first ? "not yet" : "ok");
});

let database: TestDatabase;
let otlpPort: number;
let hookPort: number;
const prefix = testRedisPrefix();
let service: ServiceProcess | undefined;

async function start(extra: Record<string, string>): Promise<{ port: number; service: ServiceProcess }> {
  const port = await freePort();
  const s = startService("all", {
    ...serviceEnv(database.url, prefix, port),
    WEBHOOK_RETRY_SCHEDULE: "1",
    WEBHOOK_POLL_INTERVAL_MS: "200",
    ...extra,
  });
  service = s;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const up = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { port, service: s };
  }
  throw new Error(`service did not start:\n${s.output()}`);
}

async function notify(port: number, mchtOrderNo: string): Promise<string> {
  const envelope = signedEnvelope("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED" }));
  const res = await fetch(`http://127.0.0.1:${port}/payzero/notify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(envelope),
  });
  expect(await res.text()).toBe("OK");
  return `msg_${signedKey(envelope.sign)}`;
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${service?.output()}`);
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  otlpPort = await listen(otlp);
  hookPort = await listen(webhook);
  await queryDatabase(
    database.url,
    `INSERT INTO webhook_endpoints (id, url, msg_types, secret)
     VALUES ('ep-trace', 'http://127.0.0.1:${hookPort}/hook', '{}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`,
  );
}, 60_000);

afterAll(async () => {
  await service?.stop(10_000);
  otlp.close();
  webhook.close();
  await database?.drop();
  await deleteKeys(REDIS_URL, `${prefix}*`);
});

describe("tracing", () => {
  it("gives each notification one trace, from receipt to every attempt, and sends its traceparent", async () => {
    const { port, service: s } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      OTEL_BSP_SCHEDULE_DELAY: "200",
    });
    const id = await notify(port, "TRACE-1");
    const attempts = await waitFor("two attempts", () => {
      const mine = hooks.filter((h) => h.headers["webhook-id"] === id);
      return mine.length >= 2 && mine;
    });
    // Every request carries a W3C traceparent of the same trace.
    const parents = attempts.map((h) => String(h.headers.traceparent));
    for (const p of parents) expect(p).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = parents[0]!.split("-")[1]!;
    expect(parents[1]!.split("-")[1]).toBe(traceId);

    const trace = await waitFor("the trace's spans", () => {
      const mine = spans.filter((sp) => sp.traceId === traceId);
      return mine.filter((sp) => sp.name === "webhook POST").length >= 2 && mine;
    });
    const named = (name: string) => trace.filter((sp) => sp.name === name);
    const [receipt] = named("POST /payzero/notify");
    const [publish] = named("payzero-notifications publish");
    const [apply] = named("payzero-notifications process");
    expect(receipt, JSON.stringify(trace)).toMatchObject({ kind: 2, parentSpanId: "" }); // SERVER, the root
    expect(publish).toMatchObject({ kind: 4, parentSpanId: receipt!.spanId }); // PRODUCER
    expect(apply).toMatchObject({ kind: 5, parentSpanId: publish!.spanId }); // CONSUMER
    const posts = named("webhook POST");
    expect(posts).toHaveLength(2);
    for (const post of posts) expect(post).toMatchObject({ kind: 3, parentSpanId: apply!.spanId }); // CLIENT
    // Each request's parent is its own attempt's span: the merchant's spans hang under it.
    expect(parents.map((p) => p.split("-")[2]).sort()).toEqual(posts.map((p) => p.spanId).sort());
    expect(receipt!.service).toBe("payzero-notify");
    expect(otlpRequests.every((r) => r.startsWith("POST /v1/traces application/json"))).toBe(true);
    // The retry came from Postgres: the trace is kept with the notification.
    const stored = await queryDatabase(database.url, "SELECT traceparent FROM notifications");
    expect(stored.rows.map((r) => r.traceparent.split("-")[1])).toEqual([traceId]);
    expect(await s.stop(15_000)).toBe(0);
  }, 120_000);

  it("without an OTLP endpoint: no spans, no traceparent sent or stored", async () => {
    const exported = otlpRequests.length;
    const { port, service: s } = await start({});
    const id = await notify(port, "TRACE-OFF-1");
    const attempts = await waitFor("two attempts", () => {
      const mine = hooks.filter((h) => h.headers["webhook-id"] === id);
      return mine.length >= 2 && mine;
    });
    for (const a of attempts) expect(a.headers.traceparent).toBeUndefined();
    const stored = await queryDatabase(
      database.url,
      "SELECT traceparent FROM notifications WHERE mcht_order_no = 'TRACE-OFF-1'",
    );
    expect(stored.rows).toEqual([{ traceparent: null }]);
    expect(await s.stop(15_000)).toBe(0);
    expect(otlpRequests.length).toBe(exported);
  }, 120_000);
});
