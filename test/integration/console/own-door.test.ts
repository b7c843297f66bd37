// The console calls the operations itself, not the /v1 routes: its actions take nothing from the /v1
// rate limit, which still holds for /v1.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, buildV1, createHarness, type Harness } from "../../support/harness.js";
import { signIn } from "./support.js";

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await createHarness();
  app = await buildV1(h, { v1RateLimitPerMinute: 3 });
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

describe("the console's actions", () => {
  it("take nothing from the /v1 rate limit", async () => {
    const browser = await signIn(app);
    const url = "http://127.0.0.1:9/own-door";
    const created = await browser.post("/console/endpoints", { url, description: "door" });
    expect(created.statusCode).toBe(200);
    const page = `/console/endpoints/${/<dt>ID<\/dt><dd><code>([^<]+)<\/code>/.exec(created.body)?.[1]}`;
    for (let i = 0; i < 5; i++)
      expect((await browser.post(page, { url, description: `door ${i}` })).statusCode).toBe(303);
    const v1 = () => app.inject({ url: "/v1/webhooks", headers: auth });
    for (let i = 0; i < 3; i++) expect((await v1()).statusCode).toBe(200);
    expect((await v1()).statusCode).toBe(429);
  });
});
