// The image's node_modules holds what the running service loads and nothing else: the packages the
// Dockerfile's production install keeps (read from package-lock.json with the Dockerfile's own
// --omit flags) must be exactly the packages src/ imports at run time, followed through their
// dependencies and required peers. Dev tooling creeping back in (the Prisma CLI, TypeScript … as
// @prisma/client's optional peers, or a dependency nothing imports) fails here, without Docker.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
}
interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, LockEntry> };

/** The --omit values of the deps stage's `npm ci`. */
function dockerfileOmits(): string[] {
  const line = /^RUN npm ci (--omit=[^\n]*)$/m.exec(read("Dockerfile"))?.[1];
  if (!line) throw new Error("no `RUN npm ci --omit=…` in the Dockerfile");
  return [...line.matchAll(/--omit=(\w+)/g)].map((m) => m[1]!);
}

/** What `npm ci --omit=…` installs, by lockfile path (npm drops devOptional only when both are omitted). */
function installedPaths(omit: string[]): string[] {
  const omitted = (e: LockEntry) =>
    (e.dev && omit.includes("dev")) ||
    (e.optional && omit.includes("optional")) ||
    (e.devOptional && omit.includes("dev") && omit.includes("optional")) ||
    (e.peer && omit.includes("peer"));
  return Object.entries(lock.packages)
    .filter(([path, e]) => path.startsWith("node_modules/") && !omitted(e))
    .map(([path]) => path);
}

const nameOf = (path: string) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);

/** Node resolution over lockfile paths: the nearest node_modules/<name> up from the importer. */
function resolve(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

function sourceFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(new URL(`${e.name}/`, dir))
      : e.name.endsWith(".ts")
        ? [new URL(e.name, dir)]
        : [],
  );
}

/** Bare packages src/ loads at run time (type-only imports are erased by the compiler). */
function importedPackages(): string[] {
  const names = new Set<string>();
  for (const file of sourceFiles(new URL("src/", root))) {
    const text = readFileSync(file, "utf8");
    const specs = [
      ...[...text.matchAll(/^(?:import|export)(?!\s+type\s)[^;]*?\sfrom\s+"([^"]+)"/gms)].map((m) => m[1]!),
      ...[...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!),
    ];
    for (const spec of specs) {
      if (spec.startsWith(".") || spec.startsWith("node:") || builtinModules.includes(spec)) continue;
      const parts = spec.split("/");
      names.add(spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return [...names].sort();
}

/** The packages those imports load: dependencies and required peers, followed to the end. */
function runtimeClosure(): Set<string> {
  const seen = new Set<string>();
  const queue: [string, string][] = importedPackages().map((name) => ["", name]);
  while (queue.length > 0) {
    const [from, name] = queue.shift()!;
    const path = resolve(from, name);
    if (!path) throw new Error(`${name} (needed by ${from || "src/"}) is not in package-lock.json`);
    if (seen.has(path)) continue;
    seen.add(path);
    const manifest = JSON.parse(read(`${path}/package.json`)) as Manifest;
    const requiredPeers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (peer) => !manifest.peerDependenciesMeta?.[peer]?.optional,
    );
    for (const dep of [...Object.keys(manifest.dependencies ?? {}), ...requiredPeers])
      queue.push([path, dep]);
  }
  return seen;
}

/** scripts/prune-runtime.mjs removes packages without JavaScript (@types/*, undici-types …). */
function hasJs(dir: URL): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory()
      ? e.name !== "node_modules" && hasJs(new URL(`${e.name}/`, dir))
      : /\.[cm]?js$/.test(e.name),
  );
}
const shipped = (path: string) => existsSync(new URL(`${path}/`, root)) && hasJs(new URL(`${path}/`, root));

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
