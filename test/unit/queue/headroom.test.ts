// The receiver's Redis memory check, its pure part: INFO memory read, and when to refuse.
import { describe, expect, it } from "vitest";
import { estimatedBytes, mayAccept, parseMemoryInfo } from "../../../src/queue/headroom.js";

const INFO = [
  "# Memory",
  "used_memory:19072944",
  "used_memory_human:18.19M",
  "used_memory_rss:27000832",
  "maxmemory:25165824",
  "maxmemory_human:24.00M",
  "maxmemory_policy:noeviction",
  "",
].join("\r\n");

describe("parseMemoryInfo", () => {
  it("reads used_memory and maxmemory, not their _human or _rss neighbours", () => {
    expect(parseMemoryInfo(INFO)).toEqual({ used: 19_072_944, max: 25_165_824 });
  });

  it("says which field is missing", () => {
    expect(() => parseMemoryInfo("# Memory\r\nused_memory:1\r\n")).toThrow(/maxmemory/);
  });
});

describe("mayAccept", () => {
  const max = 100_000_000;
  it("accepts below the share of maxmemory and refuses from it on", () => {
    expect(mayAccept({ used: 79_999_999, max }, 0, 0.8)).toBe(true);
    expect(mayAccept({ used: 80_000_000, max }, 0, 0.8)).toBe(false);
  });

  it("counts what this process queued since the last reading", () => {
    expect(mayAccept({ used: 79_000_000, max }, 999_999, 0.8)).toBe(true);
    expect(mayAccept({ used: 79_000_000, max }, 1_000_000, 0.8)).toBe(false);
  });

  it("never refuses without maxmemory, nor before a first reading", () => {
    expect(mayAccept({ used: 10_000_000_000, max: 0 }, 10_000_000, 0.8)).toBe(true);
    expect(mayAccept(null, 10_000_000, 0.8)).toBe(true);
  });
});

describe("estimatedBytes", () => {
  it("is above what Redis measured for a queued notification (5,620 B for 4,887; 1,129 B for 588)", () => {
    expect(estimatedBytes(4887)).toBeGreaterThan(5620);
    expect(estimatedBytes(588)).toBeGreaterThan(1129);
  });
});
