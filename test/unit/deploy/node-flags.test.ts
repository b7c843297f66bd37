// The V8 heap options the service runs with (docs/performance.md, "Memory") are the same wherever it
// starts: npm start and its role scripts, the image's entry point, and the bench (which reads npm start).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startFlags } from "../../../bench/processes.js";

const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("node options of the service", () => {
  const flags = startFlags();

  it("bound the young generation (the largest part of an idle heap)", () => {
    expect(flags.some((f) => /^--max-semi-space-size=\d+$/.test(f))).toBe(true);
  });

  it("are the same for every role script and the image", () => {
    const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
    for (const role of ["api", "worker"])
      expect(scripts[`start:${role}`]).toBe(scripts.start!.replace(/ all$/, ` ${role}`));
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read("Dockerfile"))![1]!;
    expect(JSON.parse(entry)).toEqual(["node", ...flags, "dist/main.js"]);
  });
});
