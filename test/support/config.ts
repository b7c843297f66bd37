import { type Config, loadConfig } from "../../src/config.js";
import { REDIS_URL } from "./env.js";

export const TEST_SIGN_TOKEN = "pz-sign-token-123";
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
/** ENCRYPTION_KEYS of the tests (32 bytes, base64). */
export const TEST_ENCRYPTION_KEY = Buffer.from("payzero-notify test key 32 bytes").toString("base64");

/** WEBHOOK_ALLOW_ADDRESSES of the tests: loopback, where their receivers and brokers listen. */
export const TEST_ALLOW_ADDRESSES = "127.0.0.1,::1";

export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({
    PAYZERO_SIGN_TOKEN: `${TEST_SIGN_TOKEN},PZToken,令牌abc`,
    REDIS_URL,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    // The tests' receivers and brokers are on this machine, which the address rule refuses by default
    // (test/integration/webhooks/address-rule.test.ts proves it with an empty list).
    WEBHOOK_ALLOW_ADDRESSES: TEST_ALLOW_ADDRESSES,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
  });
  return { ...base, ...overrides };
}
