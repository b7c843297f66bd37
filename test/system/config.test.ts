// A setting loadConfig refuses stops the service process at start (its unit tests: test/unit/config.test.ts).
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../support/db.js";
import { startService } from "../support/processes.js";

describe("the notify path's bound", () => {
  it("stops the service at start, naming the setting", async () => {
    const service = startService("api", { ENQUEUE_TIMEOUT_MS: "5000", PORT: "0" });
    const code = await new Promise<number | null>((resolve) => service.child.on("exit", resolve));
    expect(code).toBe(1);
    expect(service.output()).toMatch(/invalid configuration:[\s\S]*ENQUEUE_TIMEOUT_MS must be <= 4499/);
  });
});

describe("each role requires what it reads", () => {
  it("migrate runs without a sign token or keys", async () => {
    const tdb = await createTestDatabase();
    try {
      const migrate = startService("migrate", {
        PAYZERO_SIGN_TOKEN: "",
        ENCRYPTION_KEYS: "",
        DATABASE_URL: tdb.url,
        LOG_LEVEL: "info",
      });
      const code = await new Promise<number | null>((resolve) => migrate.child.on("exit", resolve));
      expect(migrate.output()).not.toMatch(/invalid configuration/);
      expect(code, migrate.output()).toBe(0);
      expect(migrate.output()).toMatch(/database is up to date|migrations applied/);
    } finally {
      await tdb.drop();
    }
  });
});
