// The bench's table: figure, value, and the command that reproduces it.
export interface Figure {
  figure: string;
  value: string;
  command: string;
}

export function printTable(machine: string, figures: readonly Figure[], short: boolean): void {
  const rows = [{ figure: "figure", value: "value", command: "command" }, ...figures];
  const width = (key: keyof Figure) => Math.max(...rows.map((r) => r[key].length));
  const line = (r: Figure) =>
    `| ${r.figure.padEnd(width("figure"))} | ${r.value.padStart(width("value"))} | ${r.command.padEnd(width("command"))} |`;
  const rule = `|${"-".repeat(width("figure") + 2)}|${"-".repeat(width("value") + 1)}:|${"-".repeat(width("command") + 2)}|`;
  console.log(
    `\nmachine: ${machine}${short ? " (--short: a check that the bench works, not a measurement)" : ""}`,
  );
  console.log(line(rows[0]!));
  console.log(rule);
  for (const f of figures) console.log(line(f));
}
