// Which packages the image's production install keeps, and which ones src/ loads at run time:
// read from package-lock.json, the Dockerfile and src/, without Docker. Used by
// test/unit/deploy/image-deps.test.ts and by the compose test (against the built image's node_modules).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";

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
export function dockerfileOmits(): string[] {
  const line = /^RUN npm ci (--omit=[^\n]*)$/m.exec(read("Dockerfile"))?.[1];
  if (!line) throw new Error("no `RUN npm ci --omit=…` in the Dockerfile");
  return [...line.matchAll(/--omit=(\w+)/g)].map((m) => m[1]!);
}

/** What `npm ci --omit=…` installs, by lockfile path (npm drops devOptional only when both are omitted). */
export function installedPaths(omit: string[]): string[] {
  const omitted = (e: LockEntry) =>
    (e.dev && omit.includes("dev")) ||
    (e.optional && omit.includes("optional")) ||
    (e.devOptional && omit.includes("dev") && omit.includes("optional")) ||
    (e.peer && omit.includes("peer"));
  return Object.entries(lock.packages)
    .filter(([path, e]) => path.startsWith("node_modules/") && !omitted(e))
    .map(([path]) => path);
}

export const nameOf = (path: string) =>
  path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);

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
export function runtimeClosure(): Set<string> {
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
export const shipped = (path: string) =>
  existsSync(new URL(`${path}/`, root)) && hasJs(new URL(`${path}/`, root));
