// Each setting is described once, in SETTINGS of src/config.ts; docs/configuration.md's table and
// .env.example are written from it by `npm run docs:config` and must be committed as it writes them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIGURATION_MD, configurationMd, ENV_EXAMPLE, envExample } from "../../scripts/config-docs.js";
import { SETTINGS } from "../../src/config.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const RUN = "out of date: run `npm run docs:config` and commit what it writes";

describe("npm run docs:config", () => {
  it("has written docs/configuration.md's settings table from SETTINGS", () => {
    const committed = read(CONFIGURATION_MD);
    expect(committed, RUN).toBe(configurationMd(committed));
  });

  it("has written .env.example from SETTINGS", () => {
    expect(read(ENV_EXAMPLE), RUN).toBe(envExample());
  });

  it("lists every setting in both, with its default unless the example must be replaced", () => {
    const example = read(ENV_EXAMPLE);
    const rows = read(CONFIGURATION_MD)
      .split("\n")
      .filter((line) => line.startsWith("| `"));
    for (const [name, s] of Object.entries(SETTINGS)) {
      expect(
        rows.filter((row) => row.startsWith(`| \`${name}\` `)),
        name,
      ).toHaveLength(1);
      const line = new RegExp(`^(# )?${name}=(.*)$`, "m").exec(example);
      expect(line?.[2], name).toBe(s.example ?? s.default);
    }
  });
});
