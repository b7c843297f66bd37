// Writes the settings table of docs/configuration.md (between its markers) and .env.example from
// SETTINGS in src/config.ts, where each setting is described once: `npm run docs:config`.
// test/unit/config-docs.test.ts fails while the committed files differ from what this writes.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { SETTINGS } from "../src/config.js";

type Entry = [name: string, setting: (typeof SETTINGS)[keyof typeof SETTINGS]];
const entries = () => Object.entries(SETTINGS) as Entry[];

export const CONFIGURATION_MD = "docs/configuration.md";
export const ENV_EXAMPLE = ".env.example";
const BEGIN = "<!-- settings:begin: written by `npm run docs:config` from SETTINGS in src/config.ts -->";
const END = "<!-- settings:end -->";

/** Not a setting of the service: the compose stack's own, which it builds DATABASE_URL from. */
const ENV_EXAMPLE_HEAD = `# payzero-notify configuration. Copy to .env and fill in; docker compose reads it.
# Written by \`npm run docs:config\` from SETTINGS in src/config.ts (docs/configuration.md has the table).
# Lines starting with "# NAME=" show a setting's default; remove the "# " to change it.

# Postgres and Redis passwords of the compose stack (the services' DATABASE_URL and REDIS_URL are
# built from them there); npm run setup writes random ones. The example values are refused at start.
POSTGRES_PASSWORD=change-me
REDIS_PASSWORD=change-me
`;

const and = (words: readonly string[]) =>
  words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;

const UNITS: [seconds: number, unit: string][] = [
  [86_400, "day"],
  [3600, "hour"],
  [60, "minute"],
];

/** 432000 → "5 days", for a *_SECONDS default a reader would otherwise work out. */
function inWords(name: string, value: string): string | undefined {
  const seconds = Number(value);
  if (!name.endsWith("_SECONDS") || !Number.isInteger(seconds) || seconds < 60) return undefined;
  const [size, unit] = UNITS.find(([size]) => seconds % size === 0) ?? [];
  if (size === undefined) return undefined;
  const n = seconds / size;
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

function defaultCell([name, s]: Entry): string {
  if (s.required) return `(required by ${and(s.required.by.map((r) => `\`${r}\``))})`;
  if (s.default === "") return "(empty)";
  const words = inWords(name, s.default);
  return words ? `\`${s.default}\` (${words})` : `\`${s.default}\``;
}

/** East Asian wide characters (商户配置) take two columns, as Biome counts them when it pads a table. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/gu;
const width = (text: string) => [...text].length + (text.match(WIDE)?.length ?? 0);

/** A Markdown table with its columns padded, as Biome formats the other tables of docs/. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]!))));
  const pad = (cell: string, i: number) => cell + " ".repeat(widths[i]! - width(cell));
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function settingsTable(): string {
  return table(
    ["Variable", "Default", "Read by", "Meaning"],
    entries().map((entry) => [
      `\`${entry[0]}\``,
      defaultCell(entry),
      entry[1].roles.join(", "),
      entry[1].doc,
    ]),
  );
}

/** docs/configuration.md with the text between its markers replaced by the table. */
export function configurationMd(current: string): string {
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${CONFIGURATION_MD} lacks the lines ${BEGIN} … ${END}`);
  return `${current.slice(0, begin)}${BEGIN}\n\n${settingsTable()}\n\n${current.slice(end)}`;
}

/** A description as a comment: no Markdown, links as paths, lines of at most 100 characters. */
function comment(markdown: string): string {
  const text = markdown
    .replace(/\[([^\]]*)\]\(#([^)]+)\)/g, `docs/configuration.md#$2`)
    .replace(/\[([^\]]*)\]\(([^)#]+)(#[^)]*)?\)/g, "docs/$2$3")
    .replace(/`/g, "");
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(" ")) {
    if (line.length + 1 + word.length > 100 && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  return [...lines, line].join("\n");
}

export function envExample(): string {
  const blocks = entries().map(([name, s]) => {
    const by = s.required?.by ?? [];
    const required = by.length > 0 ? `\n# Required by the ${and(by)} role${by.length > 1 ? "s" : ""}.` : "";
    const set =
      s.example !== undefined || s.required ? `${name}=${s.example ?? s.default}` : `# ${name}=${s.default}`;
    return `${comment(`${s.doc}.`)}${required}\n${set}`;
  });
  return `${ENV_EXAMPLE_HEAD}\n${blocks.join("\n")}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = new URL("../", import.meta.url);
  const md = new URL(CONFIGURATION_MD, root);
  writeFileSync(md, configurationMd(readFileSync(md, "utf8")));
  writeFileSync(new URL(ENV_EXAMPLE, root), envExample());
  console.log(`wrote ${CONFIGURATION_MD} (settings table) and ${ENV_EXAMPLE}`);
}
