// vitest's projects take test files only from test/unit, test/integration and test/system: a test
// file anywhere else under test/ would silently never run. Unit tests must not reach for services.
// A reader finds a module's tests by its name: no catch-all test files, and each /v1 route module's
// test beside the others under test/integration/api/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe("test layout", () => {
  it("puts every test file under one of the three speeds", () => {
    const stray = testFiles(join(root, "test")).filter((f) => !/^test\/(unit|integration|system)\//.test(f));
    expect(stray).toEqual([]);
  });

  it("keeps unit tests off the service helpers (Postgres, Redis, processes)", () => {
    const services =
      /from "\.\.\/+(\.\.\/)*support\/(db|redis|pipeline|harness|processes|ingest|containers|redis-server|redis-ha|brokers)\.js"/;
    const offenders = testFiles(join(root, "test/unit")).filter((f) =>
      services.test(readFileSync(join(root, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("names no test file after a kind of test instead of what it tests", () => {
    const catchAll = /^(pure|unit|misc|util|utils|helpers|common|all|index)\.test\.ts$/;
    expect(testFiles(join(root, "test")).filter((f) => catchAll.test(basename(f)))).toEqual([]);
  });

  it("has a test/integration/api/<name>.test.ts for each /v1 route module src/api/<name>.ts", () => {
    const routeModules = readdirSync(join(root, "src/api"))
      .filter((f) => f.endsWith(".ts"))
      .filter((f) =>
        /^export const \w+: V1RouteModule\b/m.test(readFileSync(join(root, "src/api", f), "utf8")),
      );
    expect(routeModules.length).toBeGreaterThan(3);
    const tests = new Set(testFiles(join(root, "test/integration/api")).map((f) => basename(f)));
    expect(routeModules.filter((f) => !tests.has(f.replace(/\.ts$/, ".test.ts")))).toEqual([]);
  });

  it("points comments in the code and tests only at test files that exist", () => {
    const sources = ["src", "test", "scripts", "bench"].flatMap((dir) =>
      readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts"))
        .map((e) => join(e.parentPath, e.name)),
    );
    const stale = sources.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\btest\/[\w./-]+\.ts\b/g)]
        .map((m) => m[0])
        .filter((path) => !existsSync(join(root, path)))
        .map((path) => `${relative(root, file)}: ${path}`),
    );
    expect(stale).toEqual([]);
  });
});
