// vitest's projects take test files only from test/unit, test/integration and test/system: a test
// file anywhere else under test/ would silently never run. Unit tests must not reach for services.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
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
});
