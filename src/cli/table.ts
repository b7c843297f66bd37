// Plain-text tables and cells for the terminal. Pure.

const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;

/** Columns a string takes in a terminal: CJK and full-width characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += WIDE.test(ch) || (ch.codePointAt(0) ?? 0) > 0xffff ? 2 : 1;
  return width;
}

/**
 * One line, no control characters (a stored error or excerpt must not move the cursor or colour the
 * terminal), at most `max` characters.
 */
export function cell(value: string | number | boolean | null | undefined, max = 80): string {
  if (value === null || value === undefined || value === "") return "-";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const text = String(value).replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - displayWidth(text)));

/** Left-aligned columns separated by two spaces; every cell should already be a cell(). */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** "key  value" lines with the keys aligned. */
export function formatFields(fields: Array<[string, string]>): string[] {
  const width = Math.max(0, ...fields.map(([k]) => displayWidth(k)));
  return fields.map(([k, v]) => `${pad(k, width)}  ${v}`);
}

/** A Payzero timestamp (ms since the epoch) as ISO; the raw number when it is not a valid time. */
export function payzeroTime(ms: bigint | number | null): string {
  if (ms === null) return "-";
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
