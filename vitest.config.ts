import { defineConfig } from "vitest/config";

// Three speeds (npm run test:unit / test:integration / test:system; npm test runs all three, in that
// order): unit needs no service and runs in seconds; integration runs against real Postgres, Redis,
// RabbitMQ and NATS in the test process; system starts processes (the service, the CLI, redis-server,
// chromium, promtool). Only the last two find or start Postgres and Redis and migrate a template.
const services = ["test/support/global-setup.ts"];
// The personal data keyring each role installs at start, installed for the code the tests call.
const keys = ["test/support/personal-data-keys.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: more parallel files only add contention for Postgres and Redis.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: services,
          setupFiles: keys,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts"],
          globalSetup: services,
          setupFiles: keys,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
