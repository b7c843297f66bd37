// Endpoint changes go through the /v1 webhook routes themselves (in process, app.inject): the same
// schema, the same checks (api/webhook-input.ts), the same store and rotation code, and the same answers,
// with nothing copied. The /v1 contract is the stable interface while the delivery internals change.
import type { FastifyInstance } from "fastify";

type V1Answer<T> = { ok: true; value: T } | { ok: false; message: string };

export interface V1Client {
  request<T>(method: "POST" | "PATCH", url: string, payload: Record<string, unknown>): Promise<V1Answer<T>>;
}

export function v1Client(app: FastifyInstance, adminToken: string): V1Client {
  return {
    async request<T>(method: "POST" | "PATCH", url: string, payload: Record<string, unknown>) {
      const res = await app.inject({
        method,
        url: `/v1${url}`,
        headers: { authorization: `Bearer ${adminToken}` },
        payload,
      });
      const body = res.json() as T | { message?: string };
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true as const, value: body as T };
      const message = (body as { message?: string }).message ?? `HTTP ${res.statusCode}`;
      return { ok: false as const, message };
    },
  };
}
