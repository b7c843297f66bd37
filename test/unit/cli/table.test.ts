import { describe, expect, it } from "vitest";
import { cell, displayWidth, formatTable, payzeroTime } from "../../../src/cli/table.js";

describe("tables", () => {
  it("aligns columns by terminal width, CJK taking two columns", () => {
    expect(displayWidth("口红")).toBe(4);
    const lines = formatTable(
      ["A", "B"],
      [
        ["口红", "1"],
        ["xy", "2"],
      ],
    );
    expect(lines).toEqual(["A     B", "----  -", "口红  1", "xy    2"]);
  });

  it("makes cells one line without control characters, shortened, '-' for nothing", () => {
    expect(cell("a\nb\u001b[31mc")).toBe("a b [31mc");
    expect(cell(null)).toBe("-");
    expect(cell("x".repeat(10), 5)).toBe("xxxx…");
  });

  it("shows Payzero timestamps as ISO, and an impossible one as it is", () => {
    expect(payzeroTime(1_554_990_000_000n)).toBe("2019-04-11T13:40:00.000Z");
    expect(payzeroTime(9e18)).toBe("9000000000000000000");
  });
});
