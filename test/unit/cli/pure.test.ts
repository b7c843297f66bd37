import { describe, expect, it } from "vitest";
import { parseInvocation, UsageError } from "../../../src/cli/args.js";
import { cell, displayWidth, formatTable, payzeroTime } from "../../../src/cli/table.js";
import { maskIdNumber, maskName, maskPayer, maskPhone } from "../../../src/orders/mask.js";

describe("masking", () => {
  it("keeps a name's first character, an ID card's first and last four, a phone's 3 + 4", () => {
    expect(maskName("周Xx")).toBe("周**");
    expect(maskName("周")).toBe("周*");
    expect(maskIdNumber("610327198509271234")).toBe("6103**********1234");
    expect(maskPhone("13800138000")).toBe("138****8000");
  });

  it("stars a value too short to keep its ends", () => {
    expect(maskPhone("12345")).toBe("*****");
    expect(maskIdNumber("1234567")).toBe("*******");
    expect(maskName("")).toBe("");
  });

  it("masks the payer fields of an order and leaves the rest", () => {
    const order = { payerName: "李四", payerNumber: null, payerPhone: "13912345678", subject: "x" };
    expect(maskPayer(order)).toEqual({
      payerName: "李*",
      payerNumber: null,
      payerPhone: "139****5678",
      subject: "x",
    });
  });
});

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

describe("the command line", () => {
  const usage = (argv: string[]) => {
    try {
      parseInvocation(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error(`no usage error for ${argv.join(" ")}`);
  };

  it("parses every command with its defaults", () => {
    expect(parseInvocation(["deliveries"])).toEqual({
      command: "deliveries",
      json: false,
      status: "failed",
      webhookId: undefined,
      limit: 50,
    });
    expect(
      parseInvocation(["deliveries", "--status", "pending", "--webhook", "wh_1", "--limit", "5", "--json"]),
    ).toMatchObject({
      status: "pending",
      webhookId: "wh_1",
      limit: 5,
      json: true,
    });
    expect(parseInvocation(["retry", "42", "--wait"])).toEqual({
      command: "retry",
      json: false,
      wait: true,
      target: { deliveryId: 42n },
    });
    expect(parseInvocation(["retry", "--webhook", "wh_1", "--all-failed"])).toMatchObject({
      target: { allFailedOf: "wh_1" },
    });
    expect(parseInvocation(["order", "PO-1"])).toEqual({
      command: "order",
      json: false,
      mchtOrderNo: "PO-1",
    });
    expect(parseInvocation(["replay", "7", "--webhook", "wh_2"])).toMatchObject({
      notificationId: 7n,
      webhookId: "wh_2",
    });
    expect(parseInvocation(["help"])).toEqual({ command: "help" });
    expect(parseInvocation(["order", "--help"])).toEqual({ command: "help" });
    expect(parseInvocation(["expect", "A-1", "A-2"])).toEqual({
      command: "expect",
      json: false,
      mchtOrderNos: ["A-1", "A-2"],
      needDeclare: null,
    });
    expect(parseInvocation(["expect", "A-1", "--no-declare", "--json"])).toMatchObject({
      needDeclare: false,
      json: true,
    });
    expect(parseInvocation(["expect", "A-1", "--declare"])).toMatchObject({ needDeclare: true });
  });

  it("names what is wrong in one line", () => {
    expect(usage([])).toBe("no command given");
    expect(usage(["frobnicate"])).toMatch(/^unknown command "frobnicate"/);
    expect(usage(["retry"])).toMatch(/^retry: missing <deliveryId>/);
    expect(usage(["retry", "abc"])).toBe('delivery id must be a positive integer (got "abc")');
    expect(usage(["retry", "0"])).toMatch(/positive integer/);
    expect(usage(["retry", "--all-failed"])).toBe("retry --all-failed needs --webhook <id>");
    expect(usage(["retry", "--webhook", "wh_1"])).toBe("retry --webhook <id> needs --all-failed");
    expect(usage(["retry", "1", "2"])).toBe('retry: unexpected argument "2"');
    expect(usage(["order"])).toBe("order: missing <mchtOrderNo>");
    expect(usage(["replay", "-5"])).toMatch(/^Unknown option '-5'/);
    expect(usage(["deliveries", "--status", "lost"])).toMatch(/^--status must be one of failed, pending/);
    expect(usage(["deliveries", "--limit", "0"])).toMatch(/^--limit must be a whole number/);
    expect(usage(["deliveries", "--bogus"])).toBe("Unknown option '--bogus'");
    expect(usage(["deliveries", "--status"])).toMatch(/^Option '--status <value>' argument missing/);
    expect(usage(["expect"])).toBe("expect: missing <mchtOrderNo>");
    expect(usage(["expect", "A-1", " "])).toBe("expect: order numbers[1] is blank");
    expect(usage(["expect", "A-1", "--declare", "--no-declare"])).toBe(
      "expect: --declare or --no-declare, not both",
    );
    expect(usage(["expect", ...Array.from({ length: 1001 }, (_, i) => `N-${i}`)])).toBe(
      "expect: order numbers holds 1001 orders, at most 1000",
    );
    for (const argv of [
      ["retry", "abc"],
      ["deliveries", "--bogus"],
    ])
      expect(usage(argv)).not.toContain("\n");
  });
});
