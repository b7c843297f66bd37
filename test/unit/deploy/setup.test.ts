// npm run setup: a first .env with random secrets the service accepts, never over an existing one.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";

const root = new URL("../../../", import.meta.url).pathname;
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(...args: string[]) {
  return spawnSync(process.execPath, [join(root, "scripts/setup.mjs"), "--dir", dir, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const valuesOf = (text: string) =>
  Object.fromEntries([...text.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

describe("npm run setup", () => {
  it("writes .env from .env.example with random secrets and the sign token, readable by its owner only", () => {
    dir = mkdtempSync(join(tmpdir(), "pzn-setup-"));
    copyFileSync(join(root, ".env.example"), join(dir, ".env.example"));
    const run = setup("--sign-token", "merchant-sign-token");
    expect(run.status, run.stderr).toBe(0);
    const env = valuesOf(readFileSync(join(dir, ".env"), "utf8"));
    expect(env.PAYZERO_SIGN_TOKEN).toBe("merchant-sign-token");
    expect(env.ADMIN_TOKEN).toMatch(/^[0-9a-f]{48}$/);
    expect(Buffer.from(env.ENCRYPTION_KEYS!, "base64")).toHaveLength(32);
    expect(env.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{36}$/);
    expect(env.REDIS_PASSWORD).toMatch(/^[0-9a-f]{36}$/);
    expect(statSync(join(dir, ".env")).mode & 0o777).toBe(0o600);
    // As compose hands it to the api: accepted (the example values are not).
    const compose = {
      ...env,
      DATABASE_URL: `postgresql://postgres:${env.POSTGRES_PASSWORD}@postgres:5432/payzero_notify`,
      REDIS_URL: `redis://:${env.REDIS_PASSWORD}@redis:6379/0`,
    };
    expect(() => loadConfig(compose, "api")).not.toThrow();
    // A second run changes nothing.
    const before = readFileSync(join(dir, ".env"), "utf8");
    const again = setup("--sign-token", "other");
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists: not overwritten/);
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe(before);
  });

  it("asks for the sign token, and refuses to go on without one", () => {
    dir = mkdtempSync(join(tmpdir(), "pzn-setup-"));
    copyFileSync(join(root, ".env.example"), join(dir, ".env.example"));
    const run = setup();
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/--sign-token/);
    expect(() => execFileSync("test", ["-e", join(dir, ".env")])).toThrow();
  });
});
