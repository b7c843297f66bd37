// A failure that repeats is logged once whole, then counted per interval, then said to have stopped.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { failureKind, RepeatCounter, throttledLog } from "../../../src/ops/log-throttle.js";

describe("RepeatCounter", () => {
  it("says to log the first occurrence, counts the rest, and reports the count once per interval", () => {
    const c = new RepeatCounter();
    expect(c.note("oom")).toBe(true);
    expect(c.note("oom")).toBe(false);
    expect(c.note("oom")).toBe(false);
    expect(c.note("pg down")).toBe(true);
    expect(c.endInterval()).toEqual([{ key: "oom", repeated: 2 }]);
    expect(c.note("oom")).toBe(false);
    expect(c.endInterval()).toEqual([{ key: "oom", repeated: 1 }]);
  });

  it("says a repeated kind cleared after a whole interval without it, and forgets a one-off silently", () => {
    const c = new RepeatCounter();
    c.note("oom");
    c.note("oom");
    c.note("once");
    expect(c.endInterval()).toEqual([{ key: "oom", repeated: 1 }]);
    expect(c.endInterval()).toEqual([{ key: "oom", cleared: true }]);
    expect(c.size).toBe(0);
    // Back after it cleared: new again, logged whole.
    expect(c.note("oom")).toBe(true);
  });
});

describe("failureKind", () => {
  it("is the same for errors that differ only in numbers, and differs with the message", () => {
    const a = failureKind("claim failed", new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    const b = failureKind("claim failed", new Error("connect ECONNREFUSED 127.0.0.1:5433"));
    const c = failureKind("claim failed", new Error("OOM command not allowed"));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(failureKind("other message", new Error("OOM command not allowed"))).not.toBe(c);
  });
});

describe("throttledLog", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function capture() {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    return { log: pino({ level: "info" }, stream), lines };
  }

  it("writes 10,000 failures of one kind as one line with the stack, one summary and one cleared line", () => {
    vi.useFakeTimers();
    const { log, lines } = capture();
    const t = throttledLog(log, 1000);
    const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
    for (let i = 0; i < 10_000; i++) t.error({ err: oom, attempt: i }, "notification worker error");
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ msg: "notification worker error", attempt: 0, level: 50 });
    expect(lines[0]).toMatchObject({ err: { stack: expect.stringContaining("OOM command not allowed") } });
    expect(lines[1]).toMatchObject({
      msg: "notification worker error (repeated)",
      repeated: 9_999,
      level: 50,
    });
    expect(lines[2]).toMatchObject({ msg: "notification worker error: cleared (none for 1 s)", level: 30 });
    t.stop();
  });

  it("logs a changed failure whole at once, beside the one that repeats", () => {
    const { log, lines } = capture();
    const t = throttledLog(log, 60_000);
    t.warn({ err: new Error("OOM command not allowed") }, "redis (worker)");
    t.warn({ err: new Error("OOM command not allowed") }, "redis (worker)");
    t.warn({ err: new Error("connect ECONNREFUSED 127.0.0.1:6379") }, "redis (worker)");
    expect(lines.map((l) => (l.err as { message: string }).message)).toEqual([
      "OOM command not allowed",
      "connect ECONNREFUSED 127.0.0.1:6379",
    ]);
    t.stop(); // writes what is still counted
    expect(lines[2]).toMatchObject({ msg: "redis (worker) (repeated)", repeated: 1 });
  });
});
