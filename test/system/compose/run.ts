// `npm run test:compose`: the README's Quick start, run for real against a Docker engine, on a fresh
// copy of the repository (what `git clone` gives, plus uncommitted changes). Each step prints its
// time; the stack is removed with its volumes (down -v) whatever happens.
//   PZN_COMPOSE="docker-compose"   force a compose command (default: `docker compose`, else `docker-compose`)
//   PZN_COMPOSE_KEEP=1             leave the stack and the copy for a look after a failure
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { freePort } from "../../support/redis-server.js";
import { dockerfileOmits, installedPaths, runtimeClosure, shipped } from "../../support/runtime-deps.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const IMAGE = "payzero-notify:compose-test";
const MAX_IMAGE_MB = 300;
const run = `${process.pid}-${randomBytes(3).toString("hex")}`;
const project = `pzn-compose-test-${run}`;
const order = `QS-${run}`;
const t0 = Date.now();

// --- running commands -------------------------------------------------------------------------

interface Result {
  code: number;
  out: string;
}

interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed after this long (default 15 minutes: a first build on a slow machine). */
  timeoutSeconds?: number;
}

function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: (opts.timeoutSeconds ?? 900) * 1000,
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

function composeCommand(): string[] {
  const forced = process.env.PZN_COMPOSE;
  if (forced) return forced.split(" ");
  try {
    execFileSync("docker", ["compose", "version"], { stdio: "ignore" });
    return ["docker", "compose"];
  } catch {
    return ["docker-compose"];
  }
}
const COMPOSE = composeCommand();
let dir = "";
/** The commands of the README, run in the copy; the override and project name come from the environment. */
const composeEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  COMPOSE_PROJECT_NAME: project,
  COMPOSE_FILE: ["docker-compose.yml", "test/system/compose/docker-compose.test.yml"].join(
    process.platform === "win32" ? ";" : ":",
  ),
});
async function compose(...args: string[]): Promise<string> {
  const r = await exec(COMPOSE[0]!, [...COMPOSE.slice(1), ...args], { cwd: dir, env: composeEnv() });
  if (r.code !== 0)
    throw new Error(`${COMPOSE.join(" ")} ${args.join(" ")} exited ${r.code}:\n${r.out.slice(-4000)}`);
  return r.out;
}

// --- steps ------------------------------------------------------------------------------------

const steps: { name: string; seconds: number }[] = [];
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  process.stdout.write(`[compose-test] ${name} …\n`);
  const value = await fn();
  const seconds = (Date.now() - start) / 1000;
  steps.push({ name, seconds });
  process.stdout.write(`[compose-test] ${name}: ok, ${seconds.toFixed(1)} s\n`);
  return value;
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${seconds} s${last ? ` (${String(last)})` : ""}`);
    await sleep(500);
  }
}

/** What `git clone` would give, plus uncommitted changes: tracked and new files, not ignored ones. */
function freshCopy(): string {
  const target = mkdtempSync(join(tmpdir(), "pzn-compose-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repo,
  })
    .toString()
    .split("\0")
    .filter((f) => f !== "");
  for (const file of files) {
    const from = join(repo, file);
    try {
      if (!statSync(from).isFile()) continue;
    } catch {
      continue; // deleted in the work tree
    }
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(from, join(target, file));
  }
  return target;
}

function setEnv(file: string, values: Record<string, string>): void {
  let text = readFileSync(file, "utf8");
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^#? ?${key}=.*$`, "m");
    text = line.test(text) ? text.replace(line, `${key}=${value}`) : `${text}\n${key}=${value}\n`;
  }
  writeFileSync(file, text);
}

// --- the test ---------------------------------------------------------------------------------

const signToken = `qs-sign-${randomBytes(12).toString("hex")}`;
/** Read from the .env npm run setup writes. */
let adminToken = "";
let apiPort = 0;
/** The api's admin listener (ADMIN_PORT, published on 127.0.0.1): /v1, /readyz, the console. */
let adminPort = 0;
/** Every request bounded: a connection the engine's port proxy holds open must not stall the test. */
const get = (url: string, init: RequestInit = {}) =>
  fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
const api = (path: string, init: RequestInit = {}) =>
  get(`http://127.0.0.1:${adminPort}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", ...init.headers },
  });

async function waitReady(): Promise<void> {
  await until("/readyz answers 200", 180, async () => {
    const res = await get(`http://127.0.0.1:${adminPort}/readyz`);
    return res.status === 200 ? true : undefined;
  });
}

async function getOrder(): Promise<Record<string, unknown> | undefined> {
  const res = await api(`/v1/orders/${order}`);
  return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
}

async function simulate(...args: string[]): Promise<void> {
  // The Quick start's command: npm run simulate -- send … (from the repository, which has node_modules).
  const url = `http://127.0.0.1:${apiPort}/payzero/notify`;
  const r = await exec(
    "npm",
    ["run", "--silent", "simulate", "--", "send", ...args, "--token", signToken, "--url", url],
    {
      cwd: repo,
      // Past a first refusal the simulator waits a minute to resend, as Payzero does; tsx alone takes
      // half a minute to start on a loaded 2-core machine.
      timeoutSeconds: 180,
    },
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /attempt 1: 200 OK/, r.out);
}

interface Received {
  headers: Record<string, string>;
  body: string;
}
async function received(sinkPort: number): Promise<Received[]> {
  return (await (await get(`http://127.0.0.1:${sinkPort}/received`)).json()) as Received[];
}

async function main(): Promise<void> {
  console.log(`[compose-test] ${COMPOSE.join(" ")}, project ${project}`);
  console.log(
    `[compose-test] ${(await exec(COMPOSE[0]!, [...COMPOSE.slice(1), "version"])).out.split("\n")[0]}`,
  );
  dir = await step("fresh copy of the repository", async () => freshCopy());

  // The example values first: refused at start, naming each (a copy of .env.example without setup).
  await step("cp .env.example .env", async () => {
    copyFileSync(join(dir, ".env.example"), join(dir, ".env"));
    apiPort = await freePort();
    adminPort = await freePort();
    setEnv(join(dir, ".env"), { PORT: String(apiPort), ADMIN_PORT: String(adminPort) });
  });

  await step("docker compose build", async () => {
    const out = await compose("build");
    assert.doesNotMatch(out, /failed to detect the libssl/, "prisma's libssl warning during the build");
  });

  await step(`image ≤ ${MAX_IMAGE_MB} MB, its node_modules what src/ loads`, async () => {
    const bytes = Number(
      execFileSync("docker", ["image", "inspect", "-f", "{{.Size}}", IMAGE]).toString().trim(),
    );
    console.log(`[compose-test]   image ${IMAGE}: ${(bytes / 1e6).toFixed(0)} MB`);
    assert.ok(bytes <= MAX_IMAGE_MB * 1e6, `image is ${(bytes / 1e6).toFixed(0)} MB`);
    const listing = execFileSync("docker", [
      "run",
      "--rm",
      "--entrypoint",
      "node",
      IMAGE,
      "-e",
      `const fs=require("fs"),p=require("path");const out=[];const walk=(d)=>{for(const n of fs.readdirSync(d)){if(n.startsWith("."))continue;const f=p.join(d,n);if(n.startsWith("@")){for(const s of fs.readdirSync(f))pkg(p.join(f,s))}else pkg(f)}};const pkg=(f)=>{out.push(f);const nm=p.join(f,"node_modules");if(fs.existsSync(nm))walk(nm)};walk("node_modules");console.log(out.join("\\n"))`,
    ])
      .toString()
      .trim()
      .split("\n")
      .sort();
    const expected = [...runtimeClosure()].filter(shipped).sort();
    const installed = installedPaths(dockerfileOmits()).filter(shipped).sort();
    assert.deepEqual(installed, expected, "the lockfile's production set and src/'s imports differ");
    assert.deepEqual(listing, expected, "the image's node_modules and what src/ loads differ");
  });

  await step("example tokens refused at start (docker compose run --rm migrate)", async () => {
    const r = await exec(COMPOSE[0]!, [...COMPOSE.slice(1), "run", "--rm", "--no-deps", "migrate"], {
      cwd: dir,
      env: composeEnv(),
    });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /invalid configuration/, r.out);
    assert.match(r.out, /PAYZERO_SIGN_TOKEN holds the example value/, r.out);
    assert.match(r.out, /ADMIN_TOKEN holds the example value/, r.out);
    assert.match(r.out, /DATABASE_URL holds an example password/, r.out);
  });

  await step(
    "npm run setup -- --sign-token … (refuses to overwrite .env, then writes a fresh one)",
    async () => {
      const refused = await exec("node", ["scripts/setup.mjs", "--sign-token", signToken], { cwd: dir });
      assert.notEqual(refused.code, 0, refused.out);
      assert.match(refused.out, /exists: not overwritten/);
      rmSync(join(dir, ".env"));
      const r = await exec("npm", ["run", "--silent", "setup", "--", "--sign-token", signToken], {
        cwd: dir,
      });
      assert.equal(r.code, 0, r.out);
      adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(join(dir, ".env"), "utf8"))![1]!;
      assert.match(readFileSync(join(dir, ".env"), "utf8"), /^REDIS_PASSWORD=[0-9a-f]{36}$/m);
      // This run's host ports (the defaults may be taken on a shared machine).
      setEnv(join(dir, ".env"), { PORT: String(apiPort), ADMIN_PORT: String(adminPort) });
    },
  );

  await step("docker compose up -d", () => compose("up", "-d"));
  await step("/readyz answers 200", waitReady);
  await step("PORT answers the notify path and /healthz only", async () => {
    for (const path of ["/console", "/v1/orders", "/docs", "/metrics", "/readyz"])
      assert.equal((await get(`http://127.0.0.1:${apiPort}${path}`)).status, 404, path);
    assert.equal((await get(`http://127.0.0.1:${apiPort}/healthz`)).status, 200);
  });

  const sinkPort = Number((await compose("port", "sink", "8080")).trim().split(":").at(-1));
  const secret = await step("POST /v1/webhooks (http://sink:8080, a container of the stack)", async () => {
    const res = await api("/v1/webhooks", {
      method: "POST",
      body: JSON.stringify({ url: "http://sink:8080/payzero", description: "compose test" }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { secret: string }).secret;
  });

  await step("signed notification answered OK (npm run simulate -- send)", () =>
    simulate("--order", order, "--pay-status", "PAY_SUCCEED"),
  );

  await step("the order through /v1", () =>
    until("order PAY_SUCCEED", 60, async () =>
      (await getOrder())?.payStatus === "PAY_SUCCEED" ? true : undefined,
    ),
  );

  await step("webhook delivered to the sink and verified", async () => {
    const hit = await until("a webhook at the sink", 60, async () =>
      (await received(sinkPort)).find((r) => r.body.includes(order)),
    );
    const payload = new Webhook(secret).verify(hit.body, hit.headers) as {
      type: string;
      data: { mchtOrderNo: string };
    };
    assert.equal(payload.type, "PAY_STATUS_NOTIFY");
    assert.equal(payload.data.mchtOrderNo, order);
  });

  await step("docker compose up -d --scale worker=2", async () => {
    await compose("up", "-d", "--scale", "worker=2");
    const workers = (await compose("ps", "-q", "worker")).trim().split("\n").filter(Boolean);
    assert.equal(workers.length, 2, `worker containers: ${workers.join(", ")}`);
    await waitReady();
    await simulate("--type", "DECLARE_STATUS_NOTIFY", "--order", order, "--declare-status", "DECLARED");
    await until("order DECLARED", 60, async () =>
      (await getOrder())?.declareStatus === "DECLARED" ? true : undefined,
    );
    await until("the second webhook", 60, async () =>
      (await received(sinkPort)).some((r) => r.body.includes("DECLARE_STATUS_NOTIFY")) ? true : undefined,
    );
  });

  await step("docker compose down", () => compose("down"));
  await step("docker compose up -d (again)", () => compose("up", "-d"));
  await step("/readyz answers 200, the order is still there", async () => {
    await waitReady();
    const kept = await until("the order after down/up", 30, getOrder);
    assert.equal(kept.payStatus, "PAY_SUCCEED");
    assert.equal(kept.declareStatus, "DECLARED");
  });
}

async function cleanUp(): Promise<void> {
  if (dir === "") return;
  if (process.env.PZN_COMPOSE_KEEP === "1") {
    console.log(`[compose-test] kept: project ${project} in ${dir}`);
    return;
  }
  await step("docker compose down -v", () => compose("down", "-v", "--remove-orphans"));
  rmSync(dir, { recursive: true, force: true });
}

let failed = false;
// fetch's timeout timers do not hold the event loop: without this, a request the port proxy leaves
// hanging ends the process in the middle of a step (exit 13, the stack left running).
const keepAlive = setInterval(() => {}, 1000);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.error(`[compose-test] ${signal}: removing the stack`);
    cleanUp().finally(() => process.exit(1));
  });
try {
  await main();
} catch (err) {
  failed = true;
  console.error(`[compose-test] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (dir !== "")
    console.error(
      (
        await exec(COMPOSE[0]!, [...COMPOSE.slice(1), "logs", "--tail", "40"], {
          cwd: dir,
          env: composeEnv(),
        })
      ).out,
    );
} finally {
  try {
    await cleanUp();
  } catch (err) {
    failed = true;
    console.error(`[compose-test] clean-up failed: ${String(err)}`);
  }
}
console.log(`[compose-test] ${failed ? "FAILED" : "passed"} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (const s of steps) console.log(`  ${s.seconds.toFixed(1).padStart(7)} s  ${s.name}`);
clearInterval(keepAlive);
process.exit(failed ? 1 : 0);
