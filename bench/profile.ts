// `tsx bench/profile.ts <file.cpuprofile> [top]`: where a --cpu-prof profile spent its time, by
// function (self time) and by package, to read next to `npm run bench -- --cpu-prof`.
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes("/dist/") || url.includes("/src/")) return "(service)";
  if (url.startsWith("node:")) return "(node)";
  return url ? url : "(native/gc/idle)";
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
}

const [file, count] = process.argv.slice(2);
if (!file) throw new Error("usage: tsx bench/profile.ts <file.cpuprofile> [top]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfTime = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  if (!node) return;
  total += dt;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}:${lineNumber + 1}`;
  selfTime.set(where, (selfTime.get(where) ?? 0) + dt);
  const pkg = packageOf(url) === "(native/gc/idle)" ? functionName || "(anonymous)" : packageOf(url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
});
const n = Number(count ?? 25);
console.log(`${(total / 1e6).toFixed(1)} s sampled\n\nby package:`);
console.log(top(byPackage, total, 15).join("\n"));
console.log("\nby function (self):");
console.log(top(selfTime, total, n).join("\n"));
