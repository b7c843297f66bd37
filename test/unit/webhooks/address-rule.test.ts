// The IPv4 address an IPv6 one carries (NAT64, 6to4): the address rule judges it as that IPv4 address.
import { describe, expect, it } from "vitest";
import { destinationPolicy, embeddedIPv4 } from "../../../src/webhooks/endpoints/address-rule.js";

describe("embeddedIPv4", () => {
  it("reads NAT64 (64:ff9b::/96) and 6to4 (2002::/16), in hex or dotted form, and nothing else", () => {
    expect(embeddedIPv4("64:ff9b::a9fe:a9fe")).toBe("169.254.169.254");
    expect(embeddedIPv4("64:ff9b::100.100.100.200")).toBe("100.100.100.200");
    expect(embeddedIPv4("64:FF9B:0:0:0:0:7f00:1")).toBe("127.0.0.1");
    expect(embeddedIPv4("2002:a9fe:a9fe::1")).toBe("169.254.169.254");
    expect(embeddedIPv4("2002:7f00:1:0:0:0:0:1")).toBe("127.0.0.1");
    for (const other of ["64:ff9b:1::a9fe:a9fe", "2001:db8::1", "::1", "10.0.0.1", "fe80::1%eth0"])
      expect(embeddedIPv4(other), other).toBeUndefined();
  });

  it("makes the rule refuse what they carry and keep what is private", () => {
    const policy = destinationPolicy({ port: 1, webhookAllowAddresses: [] });
    expect(policy.refusal("64:ff9b::a9fe:a9fe", 80)).toBe("a link-local or cloud metadata address");
    expect(policy.refusal("2002:6464:64c8::", 80)).toBe("a link-local or cloud metadata address");
    expect(policy.refusal("2002:7f00:1::", 80)).toBe("a loopback or unspecified address");
    expect(policy.refusal("64:ff9b::a00:5", 80)).toBeUndefined();
    expect(
      destinationPolicy({ port: 1, webhookAllowAddresses: ["127.0.0.1"] }).refusal("64:ff9b::7f00:1", 80),
    ).toBeUndefined();
  });
});
