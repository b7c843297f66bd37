// The image's node_modules holds what the running service loads and nothing else: the packages the
// Dockerfile's production install keeps (read from package-lock.json with the Dockerfile's own
// --omit flags) must be exactly the packages src/ imports at run time, followed through their
// dependencies and required peers. Dev tooling creeping back in (the Prisma CLI, TypeScript … as
// @prisma/client's optional peers, or a dependency nothing imports) fails here, without Docker.
import { describe, expect, it } from "vitest";
import {
  dockerfileOmits,
  installedPaths,
  nameOf,
  runtimeClosure,
  shipped,
} from "../../support/runtime-deps.js";

describe("the image's production node_modules", () => {
  const installed = installedPaths(dockerfileOmits()).filter(shipped).sort();
  const needed = [...runtimeClosure()].filter(shipped).sort();

  it("holds exactly the packages src/ loads at run time, through their dependencies", () => {
    expect(installed.length).toBeGreaterThan(20);
    expect(installed.filter((p) => !needed.includes(p)).map(nameOf), "installed, never loaded").toEqual([]);
    expect(needed.filter((p) => !installed.includes(p)).map(nameOf), "loaded, not installed").toEqual([]);
  });

  it("carries none of the development tooling", () => {
    const names = new Set(installed.map(nameOf));
    const tooling = [
      "prisma",
      "@prisma/engines",
      "@prisma/studio-core",
      "@prisma/dev",
      "@electric-sql/pglite",
    ];
    for (const tool of [...tooling, "effect", "typescript", "tsx", "vitest", "@biomejs/biome", "pino-pretty"])
      expect(names.has(tool), tool).toBe(false);
  });
});
