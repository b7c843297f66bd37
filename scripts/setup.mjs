// npm run setup [-- --sign-token <token>]: the first run's .env, from .env.example with random secrets
// (ADMIN_TOKEN, ENCRYPTION_KEYS, POSTGRES_PASSWORD, REDIS_PASSWORD) and Payzero's signToken (asked
// for, or --sign-token). Refuses to overwrite an existing .env: its keys seal what Postgres holds.
// Node built-ins only, so it runs on a fresh checkout before `npm ci`.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { "sign-token": { type: "string" }, dir: { type: "string", default: "." } },
});
const envFile = `${values.dir}/.env`;
const exampleFile = `${values.dir}/.env.example`;

if (existsSync(envFile)) {
  console.error(
    `${envFile} exists: not overwritten (its ENCRYPTION_KEYS open the secrets Postgres holds). Edit it, or move it away first.`,
  );
  process.exit(1);
}

const signToken = (
  values["sign-token"] ?? (await ask("Payzero signToken (merchant console, 商户配置): "))
).trim();
if (signToken === "" || signToken === "change-me") {
  console.error(
    "a signToken is required: the one set in Payzero's merchant console (--sign-token, or type it)",
  );
  process.exit(1);
}

const secrets = {
  PAYZERO_SIGN_TOKEN: signToken,
  ADMIN_TOKEN: randomBytes(24).toString("hex"),
  ENCRYPTION_KEYS: randomBytes(32).toString("base64"),
  POSTGRES_PASSWORD: randomBytes(18).toString("hex"),
  REDIS_PASSWORD: randomBytes(18).toString("hex"),
};

let text = readFileSync(exampleFile, "utf8");
for (const [name, value] of Object.entries(secrets)) {
  const line = new RegExp(`^#? ?${name}=.*$`, "m");
  text = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text}\n${name}=${value}\n`;
}
// Only the owner reads it: it holds every secret of the stack.
writeFileSync(envFile, text, { mode: 0o600, flag: "wx" });
console.log(`${envFile} written: ADMIN_TOKEN (console and /v1 sign-in) is ${secrets.ADMIN_TOKEN}
Keep ${envFile} safe (ENCRYPTION_KEYS opens the webhook secrets). Next: docker compose up -d`);

async function ask(question) {
  if (!process.stdin.isTTY) {
    console.error("no terminal to ask on: pass --sign-token <token>");
    process.exit(1);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
