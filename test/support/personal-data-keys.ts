// Setup of every test file (vitest.config.ts): the process's personal data keyring is the tests'
// ENCRYPTION_KEYS, as the api, worker and migrate roles install it at start (src/orders/personal-data.ts).
import { usePersonalDataKeys } from "../../src/orders/personal-data.js";
import { testConfig } from "./config.js";

usePersonalDataKeys(testConfig());
