// The Redis key families the service writes itself (src/queue/keys.ts): their names are state a
// running deployment holds, and on a Cluster every key must hash to the prefix's slot.
import { describe, expect, it } from "vitest";
import { redisKeys } from "../../../src/queue/keys.js";

/** Every key of each family, with sample arguments. */
const allKeys = (prefix: string) => {
  const k = redisKeys(prefix);
  return [
    k.reconcileCursor,
    k.reconcileAbandonedCursor,
    k.webhookRate(5),
    k.consoleReceived("m", 29_000_000),
    k.consoleReceived("h", 480_000),
  ];
};

/** Redis Cluster's rule: a key's slot is that of the text between its first { and the next }, if not empty. */
function hashedPart(key: string): string {
  const open = key.indexOf("{");
  const close = key.indexOf("}", open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe("redisKeys", () => {
  it("keeps the names a running deployment already holds (a rename would drop the cursor and the counts)", () => {
    const k = redisKeys("pzn");
    expect(k.reconcileCursor).toBe("pzn:payzero-reconcile:cursor");
    expect(k.webhookRate(5)).toBe("pzn:webhook-rate:5");
    expect(k.consoleReceived("m", 29_000_000)).toBe("pzn:console:received:m:29000000");
  });

  it("starts every key with the prefix and a colon, so a hash-tagged prefix puts them all in its slot", () => {
    for (const prefix of ["pzn", "{pzn}", "app:{pzn}"])
      for (const key of allKeys(prefix)) {
        expect(key.startsWith(`${prefix}:`), key).toBe(true);
        if (prefix.includes("{")) expect(hashedPart(key), key).toBe("pzn");
      }
  });
});
