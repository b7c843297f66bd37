import { describe, expect, it } from "vitest";
import { parseInvocation, UsageError } from "../../../src/cli/args.js";

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

  it("parses the tokens commands, scopes repeated, and names what is missing", () => {
    expect(
      parseInvocation(["tokens", "create", "--name", "erp", "--scope", "read", "--scope", "personal-data"]),
    ).toEqual({
      command: "tokens-create",
      json: false,
      name: "erp",
      scopes: ["read", "personal-data"],
    });
    expect(parseInvocation(["tokens", "list", "--json"])).toEqual({ command: "tokens-list", json: true });
    expect(parseInvocation(["tokens", "revoke", "tok_1"])).toEqual({
      command: "tokens-revoke",
      json: false,
      id: "tok_1",
    });
    expect(usage(["tokens"])).toBe("tokens: missing create, list or revoke");
    expect(usage(["tokens", "revoke"])).toBe("tokens revoke: missing <tokenId>");
    expect(usage(["tokens", "create", "--name", "x"])).toBe("tokens create: missing --scope <scope>");
  });
});
