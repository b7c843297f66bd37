// Every route that takes a token is rate-limited per client address, and the count is in Redis: two
// api processes (two apps on one Redis prefix here) share it, so replicas do not multiply a guesser's tries.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { FORM, form } from "../console/support.js";

const PER_MINUTE = 4;
let p: Pipeline;
let other: FastifyInstance;
beforeAll(async () => {
  p = await startPipeline({ v1RateLimitPerMinute: PER_MINUTE });
  other = await buildApiApp({ config: p.config, db: p.db, redis: p.connection });
});
afterAll(async () => {
  await other?.close();
  await p?.close();
});

/** A client address of its own (the token routes share one count per address). */
const randomAddress = () =>
  `10.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** Requests from one client address, alternating between the two apps. */
async function statuses(url: string, count: number, remoteAddress: string, headers = {}) {
  const codes: number[] = [];
  for (let i = 0; i < count; i++) {
    const app = i % 2 === 0 ? p.app : other;
    codes.push((await app.inject({ url, remoteAddress, headers })).statusCode);
  }
  return codes;
}

describe("rate limits of the token routes", () => {
  it.each(["/openapi.json", "/docs", "/metrics", "/readyz", "/v1/orders"])(
    "%s: the limit is shared by the processes, then 429",
    async (url) => {
      const address = randomAddress();
      const codes = await statuses(url, PER_MINUTE + 2, address, { authorization: "Bearer wrong-guess" });
      expect(codes.slice(PER_MINUTE)).toEqual([429, 429]);
      expect(codes.slice(0, PER_MINUTE)).not.toContain(429);
      // Another address has its own count.
      expect(
        (
          await p.app.inject({
            url,
            remoteAddress: randomAddress(),
            headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
          })
        ).statusCode,
      ).not.toBe(429);
    },
  );

  it("counts the console's sign-in attempts across processes too (20 a minute)", async () => {
    const codes: number[] = [];
    const address = randomAddress();
    for (let i = 0; i < 22; i++) {
      const app = i % 2 === 0 ? p.app : other;
      const res = await app.inject({
        method: "POST",
        url: "/console/login",
        remoteAddress: address,
        headers: FORM,
        payload: form({ token: "a-wrong-guess" }),
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 20)).not.toContain(429);
    expect(codes.slice(20)).toEqual([429, 429]);
  });
});
