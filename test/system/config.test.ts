// A setting loadConfig refuses stops the service process at start (its unit tests: test/unit/config.test.ts).
import { describe, expect, it } from "vitest";
import { startService } from "../support/processes.js";

describe("the notify path's bound", () => {
  it("stops the service at start, naming the setting", async () => {
    const service = startService("api", { ENQUEUE_TIMEOUT_MS: "5000", PORT: "0" });
    const code = await new Promise<number | null>((resolve) => service.child.on("exit", resolve));
    expect(code).toBe(1);
    expect(service.output()).toMatch(/invalid configuration:[\s\S]*ENQUEUE_TIMEOUT_MS must be <= 4499/);
  });
});
