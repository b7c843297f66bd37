// createBatcher (src/db/group-commit.ts) with a fake run: how items are grouped into runs, how many
// runs go at once, and how a failing run is split so that only the bad item fails.
import { describe, expect, it } from "vitest";
import { createBatcher } from "../../../src/db/group-commit.js";

/** One full turn of the event loop: the batcher's own setImmediate (scheduled earlier) has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A run whose calls stay open until the test settles them; counts how many are open at once. */
function deferredRun<I, O>(answer: (items: I[]) => O[]) {
  const calls: Array<{ items: I[]; finish: () => void; fail: (err: unknown) => void }> = [];
  let open = 0;
  let mostOpen = 0;
  const run = (items: I[]) =>
    new Promise<O[]>((resolve, reject) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      const settle = () => {
        open--;
      };
      calls.push({
        items,
        finish: () => {
          settle();
          resolve(answer(items));
        },
        fail: (err) => {
          settle();
          reject(err);
        },
      });
    });
  return {
    run,
    calls,
    open: () => open,
    mostOpen: () => mostOpen,
  };
}

describe("createBatcher: grouping", () => {
  it("puts items submitted in the same turn into one run and answers each with its own result", async () => {
    const runs: number[][] = [];
    const submit = createBatcher(
      async (items: number[]) => {
        runs.push([...items]);
        return items.map((n) => `r${n}`);
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    const results = await Promise.all([1, 2, 3].map(submit));
    expect(results).toEqual(["r1", "r2", "r3"]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it("keeps each result with its item even when run answers items out of their numeric order", async () => {
    const submit = createBatcher(async (items: string[]) => items.map((s) => s.toUpperCase()), {
      maxSize: 3,
      maxInFlight: 2,
    });
    const items = ["e", "a", "d", "b", "c"];
    expect(await Promise.all(items.map(submit))).toEqual(["E", "A", "D", "B", "C"]);
  });

  it("never puts more than maxSize items in one run (10 items, maxSize 4: 4, 4, 2 in order)", async () => {
    const runs: number[][] = [];
    const submit = createBatcher(
      async (items: number[]) => {
        runs.push([...items]);
        return items.map((n) => n * 10);
      },
      { maxSize: 4, maxInFlight: 8 },
    );
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(await Promise.all(items.map(submit))).toEqual(items.map((n) => n * 10));
    expect(runs).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it("sends a lone item at once, alone, without waiting for more", async () => {
    const fake = deferredRun((items: string[]) => items.map((s) => `${s}!`));
    const submit = createBatcher(fake.run, { maxSize: 32, maxInFlight: 1 });
    const result = submit("only");
    await nextTurn();
    expect(fake.calls.map((c) => c.items)).toEqual([["only"]]);
    fake.calls[0]!.finish();
    expect(await result).toBe("only!");
  });

  it("starts a new run for an item of a later turn while a slot is free", async () => {
    const fake = deferredRun((items: string[]) => items);
    const submit = createBatcher(fake.run, { maxSize: 32, maxInFlight: 2 });
    const first = submit("a");
    await nextTurn();
    const second = submit("b");
    await nextTurn();
    expect(fake.calls.map((c) => c.items)).toEqual([["a"], ["b"]]);
    expect(fake.open()).toBe(2);
    for (const c of fake.calls) c.finish();
    expect(await Promise.all([first, second])).toEqual(["a", "b"]);
  });

  it("holds items that arrive while every slot is busy and sends them together when one frees", async () => {
    const fake = deferredRun((items: string[]) => items.map((s) => s.repeat(2)));
    const submit = createBatcher(fake.run, { maxSize: 32, maxInFlight: 1 });
    const first = submit("a");
    await nextTurn();
    // Arriving in three different turns, all while "a" is running.
    const later: Array<Promise<string>> = [];
    for (const item of ["b", "c", "d"]) {
      later.push(submit(item));
      await nextTurn();
    }
    expect(fake.calls.map((c) => c.items)).toEqual([["a"]]);
    fake.calls[0]!.finish();
    expect(await first).toBe("aa");
    await nextTurn();
    expect(fake.calls.map((c) => c.items)).toEqual([["a"], ["b", "c", "d"]]);
    fake.calls[1]!.finish();
    expect(await Promise.all(later)).toEqual(["bb", "cc", "dd"]);
  });
});

describe("createBatcher: maxInFlight", () => {
  it("never has more than maxInFlight runs open, and runs every item in the end", async () => {
    const fake = deferredRun((items: number[]) => items.map((n) => -n));
    const submit = createBatcher(fake.run, { maxSize: 2, maxInFlight: 3 });
    const items = Array.from({ length: 13 }, (_, i) => i);
    const results = Promise.all(items.map(submit));
    await nextTurn();
    // 7 runs of at most 2 are due; only 3 may start.
    expect(fake.calls).toHaveLength(3);
    expect(fake.open()).toBe(3);
    // Finish the oldest open run, one at a time: each frees a slot for exactly one more run.
    for (let finished = 0; finished < 7; finished++) {
      fake.calls[finished]!.finish();
      await nextTurn();
      expect(fake.open()).toBeLessThanOrEqual(3);
      expect(fake.calls).toHaveLength(Math.min(7, finished + 4));
    }
    expect(await results).toEqual(items.map((n) => -n));
    expect(fake.mostOpen()).toBe(3);
    expect(fake.calls.map((c) => c.items)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11], [12]]);
  });

  it("with maxInFlight 1 runs one batch at a time", async () => {
    let open = 0;
    let mostOpen = 0;
    const submit = createBatcher(
      async (items: number[]) => {
        open++;
        mostOpen = Math.max(mostOpen, open);
        await new Promise((r) => setTimeout(r, 2));
        open--;
        return items;
      },
      { maxSize: 3, maxInFlight: 1 },
    );
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(await Promise.all(items.map(submit))).toEqual(items);
    expect(mostOpen).toBe(1);
  });
});

describe("createBatcher: failures", () => {
  const bad = new Error("bad item");

  it("runs a failing batch again item by item: only the bad item rejects, the others get their own results", async () => {
    const runs: string[][] = [];
    const submit = createBatcher(
      async (items: string[]) => {
        runs.push([...items]);
        if (items.includes("bad")) throw bad;
        return items.map((s) => `ok:${s}`);
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled(["a", "bad", "c"].map(submit));
    expect(settled).toEqual([
      { status: "fulfilled", value: "ok:a" },
      { status: "rejected", reason: bad },
      { status: "fulfilled", value: "ok:c" },
    ]);
    expect(runs[0]).toEqual(["a", "bad", "c"]);
    // Then each item once, alone, in their order.
    expect(runs.slice(1)).toEqual([["a"], ["bad"], ["c"]]);
  });

  it("retries one item at a time, in order: each must see the ones before it, as in the batch", async () => {
    let open = 0;
    let mostOpen = 0;
    const started: string[] = [];
    const submit = createBatcher(
      async (items: string[]) => {
        open++;
        mostOpen = Math.max(mostOpen, open);
        started.push(items.join(","));
        await new Promise((resolve) => setTimeout(resolve, 5));
        open--;
        if (items.includes("bad")) throw bad;
        return items;
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    await Promise.allSettled(["a", "bad", "c", "d"].map(submit));
    expect(started).toEqual(["a,bad,c,d", "a", "bad", "c", "d"]);
    expect(mostOpen).toBe(1);
  });

  it("resolves every item when the batch failed but each item alone succeeds", async () => {
    let calls = 0;
    const submit = createBatcher(
      async (items: number[]) => {
        calls++;
        if (items.length > 1) throw new Error("batch too big today");
        return items.map((n) => n + 1);
      },
      { maxSize: 10, maxInFlight: 2 },
    );
    expect(await Promise.all([1, 2, 3, 4].map(submit))).toEqual([2, 3, 4, 5]);
    expect(calls).toBe(5);
  });

  it("rejects a failing lone item with the original error, without running it again", async () => {
    let calls = 0;
    const submit = createBatcher(
      async (_items: string[]): Promise<string[]> => {
        calls++;
        throw bad;
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    await expect(submit("x")).rejects.toBe(bad);
    expect(calls).toBe(1);
  });

  it("gives each rejected item its own error when every retry fails", async () => {
    const submit = createBatcher(
      async (items: string[]): Promise<string[]> => {
        throw new Error(`failed ${items.join(",")}`);
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled(["p", "q"].map(submit));
    expect(settled.map((s) => (s.status === "rejected" ? (s.reason as Error).message : "resolved"))).toEqual([
      "failed p",
      "failed q",
    ]);
  });

  it("frees the slot after a failure: later items still run", async () => {
    const submit = createBatcher(
      async (items: string[]) => {
        if (items.includes("bad")) throw bad;
        return items;
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    await expect(submit("bad")).rejects.toBe(bad);
    await Promise.allSettled(["bad", "x"].map(submit));
    expect(await submit("after")).toBe("after");
  });
});
