// Signing in to the console through app.inject, as a browser would: the cookie, then a page's CSRF token.
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { TEST_ADMIN_TOKEN } from "../../support/config.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

export interface Browserish {
  cookie: string;
  csrf: string;
  get: (url: string) => Promise<LightMyRequestResponse>;
  post: (url: string, form: Record<string, string>) => Promise<LightMyRequestResponse>;
}

export function startConsolePipeline(clock?: { now: number }): Promise<Pipeline> {
  return startPipeline(
    { webhookRetrySchedule: [0], webhookPollIntervalMs: 200 },
    clock && { now: () => clock.now },
  );
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM = { "content-type": "application/x-www-form-urlencoded" };

export async function signIn(app: FastifyInstance): Promise<Browserish> {
  const res = await app.inject({
    method: "POST",
    url: "/console/login",
    headers: FORM,
    payload: form({ token: TEST_ADMIN_TOKEN, next: "/console" }),
  });
  expect(res.statusCode).toBe(303);
  const set = res.cookies.find((c) => c.name === "pzn_console");
  expect(set).toBeDefined();
  const cookie = `pzn_console=${set!.value}`;
  const home = await app.inject({ url: "/console", headers: { cookie } });
  expect(home.statusCode).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1];
  expect(csrf).toBeDefined();
  return {
    cookie,
    csrf: csrf!,
    get: (url) => app.inject({ url, headers: { cookie } }),
    post: (url, fields) =>
      app.inject({
        method: "POST",
        url,
        headers: { ...FORM, cookie },
        payload: form({ _csrf: csrf!, ...fields }),
      }),
  };
}
