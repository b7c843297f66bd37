// The README and docs/ point at each other and at the code: every relative link must reach an
// existing file (and heading, for #anchors), and every repository path quoted in `code` must exist,
// so a moved file or renamed section shows up here instead of in a reader's 404.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The page's text outside fenced code blocks, where links and paths are prose. */
function prose(page: string): string {
  return readFileSync(join(root, page), "utf8").replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(page).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Relative link targets of a page: [text](target) and ![alt](target), not URLs. */
function links(page: string): string[] {
  const text = prose(page).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target));
}

/** Whether a repository path exists; `*` in a segment matches within that directory. */
function pathExists(path: string): boolean {
  let found = [root];
  for (const segment of path.replace(/\/$/, "").split("/")) {
    const pattern = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    found = found.flatMap((dir) =>
      segment.includes("*")
        ? existsSync(dir) && statSync(dir).isDirectory()
          ? readdirSync(dir)
              .filter((name) => pattern.test(name))
              .map((name) => join(dir, name))
          : []
        : [join(dir, segment)].filter((p) => existsSync(p)),
    );
  }
  return found.length > 0;
}

const REPO_PATH = /^(src|test|deploy|prisma|bench|scripts|docs|\.ci)\/[\w.*/-]*$/;

describe("documentation", () => {
  it("has the pages the README links to", () => {
    expect(pages.length).toBeGreaterThan(5);
  });

  it.each(pages)("%s: every relative link reaches a file and heading", (page) => {
    const broken: string[] = [];
    for (const target of links(page)) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path === "" ? page : relative(root, join(root, dirname(page), path));
      if (!existsSync(join(root, file))) broken.push(`${target}: no file ${file}`);
      else if (anchor !== undefined && file.endsWith(".md") && !anchors(file).has(anchor))
        broken.push(`${target}: no heading #${anchor} in ${file}`);
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)("%s: every repository path in `code` exists", (page) => {
    const quoted = [...prose(page).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
    const missing = quoted.filter((q) => REPO_PATH.test(q) && !pathExists(q));
    expect(missing).toEqual([]);
  });
});
