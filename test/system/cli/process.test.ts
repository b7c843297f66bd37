// The real CLI as a child process: wiring (env → config → Postgres, Redis), output streams, exit codes.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { createEndpoint, freePort, storeNotification } from "../../support/harness.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

let tdb: TestDatabase;
let db: Db;
const prefix = testRedisPrefix();
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      // The CLI verifies no notification: it runs without a sign token (empty is unset).
      PAYZERO_SIGN_TOKEN: "",
      DATABASE_URL: tdb.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  // A CLI that leaves a connection open never exits: bound the wait.
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("the cli process", () => {
  it("prints help with exit 0, and a one-line usage error with exit 2", { timeout: 60_000 }, async () => {
    const [help, unknown] = await Promise.all([runCli(["help"]), runCli(["frobnicate", "--json"])]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toContain("usage: cli <command> [options]");
    expect(unknown).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'error: unknown command "frobnicate" (commands: deliveries, retry, order, expect, refund, replay, backfill, audit, tokens, help) (see "help")\n',
    });
  });

  it("answers from Postgres: JSON on stdout, exit 1 for what does not exist", {
    timeout: 60_000,
  }, async () => {
    const [list, order] = await Promise.all([runCli(["deliveries", "--json"]), runCli(["order", "NOPE"])]);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(list.stdout)).toEqual({ deliveries: [] });
    expect(order).toEqual({ code: 1, stdout: "", stderr: "no such order: NOPE\n" });
  });

  it("retries a failed delivery (due now in Postgres, one attempt) and exits", {
    timeout: 60_000,
  }, async () => {
    const endpoint = await createEndpoint(db, { url: "http://127.0.0.1:9/unused" });
    const { notification } = await storeNotification(db, noFanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_CLI"}',
    });
    const row = await db.delivery.create({
      data: { notificationId: notification.id, endpointId: endpoint.id, status: "failed", attemptCount: 3 },
    });
    const result = await runCli(["retry", String(row.id)]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain(`delivery ${row.id}: re-armed 1 failed delivery`);
    expect(result.stdout).toContain("1 attempt due now");
    expect(await db.delivery.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: "pending",
      attemptCount: 3,
      manualRetry: true,
    });
  });

  it("reports an unreachable database in one line with exit 1", { timeout: 60_000 }, async () => {
    const url = `postgresql://postgres@127.0.0.1:${await freePort()}/nothing`;
    const result = await runCli(["deliveries"], { DATABASE_URL: url });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: Can't reach database server at 127\.0\.0\.1:\d+\n$/);
  });
});
