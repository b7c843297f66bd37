// Image build step: strip a production node_modules (npm ci --omit=dev --omit=optional) of the
// files Node never loads: type declarations, source maps, types-only packages, and the Prisma query
// compilers of the databases other than the schema's provider (each about 14 MB).
//   node scripts/prune-runtime.mjs <node_modules> <schema.prisma>
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const [root, schemaPath] = process.argv.slice(2);
if (!root || !schemaPath) {
  console.error("usage: prune-runtime.mjs <node_modules> <schema.prisma>");
  process.exit(2);
}

const provider = /datasource\s+\w+\s*\{[^}]*provider\s*=\s*"(\w+)"/.exec(
  readFileSync(schemaPath, "utf8"),
)?.[1];
if (!provider) throw new Error(`no datasource provider in ${schemaPath}`);
const PROVIDERS = ["cockroachdb", "mysql", "postgresql", "sqlite", "sqlserver"];
const otherProvider = new RegExp(`\\.(${PROVIDERS.filter((p) => p !== provider).join("|")})\\.`);
const NEVER_LOADED = /\.(map|d\.ts|d\.mts|d\.cts)$/;

let removed = 0;
const remove = (path) => {
  removed += sizeOf(path);
  rmSync(path, { recursive: true, force: true });
};

function sizeOf(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (NEVER_LOADED.test(entry.name)) remove(path);
  }
}

/** A package with no JavaScript at all (@types/*, undici-types …) is only read by the compiler. */
function hasJs(dir) {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? e.name !== "node_modules" && hasJs(join(dir, e.name)) : /\.[cm]?js$/.test(e.name),
  );
}

function packageDirs(nodeModules) {
  const dirs = [];
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith(".")) continue;
    const path = join(nodeModules, name);
    if (name.startsWith("@")) for (const sub of readdirSync(path)) dirs.push(join(path, sub));
    else dirs.push(path);
  }
  return dirs;
}

for (const dir of packageDirs(root)) if (!hasJs(dir)) remove(dir);
for (const name of readdirSync(root))
  if (name.startsWith("@") && readdirSync(join(root, name)).length === 0)
    rmSync(join(root, name), { recursive: true });
const runtime = join(root, "@prisma/client/runtime");
for (const name of readdirSync(runtime)) if (otherProvider.test(name)) remove(join(runtime, name));
walk(root);
console.log(`prune-runtime: ${(removed / 1e6).toFixed(1)} MB removed (Prisma provider ${provider} kept)`);
