// POST /payzero/notify: verify, enqueue, and only then answer "OK" (docs/architecture.md, "Receipt").

import type { Queue } from "bullmq";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { throttledLog } from "../ops/log-throttle.js";
import { SpanKind, startTraced, type Traced } from "../ops/tracing.js";
import { Envelope, signedKey, timestampText } from "../payzero/envelope.js";
import { payzeroSignCharset } from "../payzero/sign.js";
import { type Headroom, watchHeadroom } from "../queue/headroom.js";
import type { NotificationBatch, NotificationMessage } from "../queue/queue.js";
import type { RedisClient } from "../queue/redis.js";
import { readNotificationBodies } from "./body.js";
import { createEnqueue, MAX_PENDING_ENQUEUES } from "./enqueue.js";

export interface IngestOptions {
  path: string;
  signTokens: readonly string[];
  queue: Queue<NotificationBatch>;
  enqueueTimeoutMs: number;
  /** Larger bodies are refused (413) from their Content-Length, or as they arrive: no sign is computed. */
  bodyLimit: number;
  /** Replicas that must have a message before it is answered OK (REDIS_MIN_REPLICAS_ACK); 0: none. */
  minReplicasAck?: number;
  /** Share of Redis maxmemory past which notifications are refused (REDIS_ACCEPT_MAX_MEMORY_RATIO); unset: no check. */
  acceptMaxMemoryRatio?: number;
  /** Called with the outcome of every request, for metrics. */
  onOutcome?: (outcome: IngestOutcome, msgType?: string) => void;
}

export type IngestOutcome = "accepted" | "duplicate" | "bad_sign" | "bad_request" | "unavailable";

/** Redis memory is past REDIS_ACCEPT_MAX_MEMORY_RATIO of maxmemory: the rest is the workers' room to drain. */
class RedisMemoryFullError extends Error {
  constructor(ratio: number) {
    super(`Redis memory is past ${ratio} of maxmemory (REDIS_ACCEPT_MAX_MEMORY_RATIO)`);
    this.name = "RedisMemoryFullError";
  }
}

const envelopeValidator = Compile(Envelope);
const PlainText = Type.String();

export async function ingestRoutes(app: FastifyInstance, opts: IngestOptions): Promise<void> {
  const outcome = opts.onOutcome ?? (() => {});
  const enqueue = createEnqueue(
    opts.queue,
    opts.enqueueTimeoutMs,
    MAX_PENDING_ENQUEUES,
    opts.minReplicasAck ?? 0,
  );
  const headroom: Headroom | null =
    opts.acceptMaxMemoryRatio === undefined
      ? null
      : watchHeadroom(
          opts.queue.opts.connection as RedisClient,
          opts.queue.toKey("wait"),
          opts.acceptMaxMemoryRatio,
        );
  // While Redis is full or down every request fails the same way: one line, then a count a minute.
  const refusals = throttledLog(app.log);
  app.addHook("onClose", async () => {
    await headroom?.stop();
    refusals.stop();
  });
  readNotificationBodies(app);
  app.post(
    opts.path,
    {
      bodyLimit: opts.bodyLimit,
      schema: {
        description: "Receives a Payzero QuickPay asynchronous notification (section 3 of Payzero's API).",
        tags: ["payzero"],
        body: Envelope,
        response: { 200: PlainText, "4xx": PlainText, 503: PlainText },
      },
      // TypeBox checks the envelope itself: Fastify's default Ajv would coerce a numeric msgBody into a string.
      validatorCompiler: () => (data: unknown) =>
        envelopeValidator.Check(data) ? { value: data } : { error: envelopeError(data) },
      errorHandler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
        const status =
          error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 503;
        outcome(status === 503 ? "unavailable" : "bad_request", msgTypeOf(request.body));
        const durationMs = reply.elapsedTime;
        if (status === 503) refusals.error({ err: error, status, durationMs }, "notification not kept");
        else request.log.warn({ status, durationMs, reason: error.message }, "notification refused");
        return reply
          .code(status)
          .type("text/plain; charset=utf-8")
          .send(status === 503 ? "unavailable" : error.message);
      },
    },
    async (request, reply) => {
      // The notification's trace starts here (or continues the sender's, should it send a traceparent).
      const receipt = startTraced(`POST ${opts.path}`, SpanKind.SERVER, request.headers, {
        "http.request.method": "POST",
        "url.path": opts.path,
      });
      try {
        const answered = await receive(request, reply, receipt);
        receipt?.set({ "http.response.status_code": reply.statusCode });
        receipt?.end();
        return answered;
      } catch (err) {
        receipt?.end(err);
        throw err;
      }
    },
  );

  async function receive(request: FastifyRequest, reply: FastifyReply, receipt: Traced | null) {
    const body = request.body as Envelope;
    const timestamp = timestampText(body.timestamp);
    const signedOver = payzeroSignCharset(opts.signTokens, timestamp, body.msgBody, body.sign);
    if (!signedOver) {
      outcome("bad_sign", body.msgType);
      request.log.warn(
        { msgType: body.msgType, status: 401, durationMs: reply.elapsedTime },
        "notification refused: bad sign",
      );
      return reply.code(401).type("text/plain; charset=utf-8").send("bad sign");
    }
    const key = signedKey(body.sign);
    receipt?.set({ "payzero.msg_type": body.msgType, "payzero.content_key": key });
    const publish = startTraced(`${opts.queue.name} publish`, SpanKind.PRODUCER, receipt?.context, {
      "messaging.system": "bullmq",
      "messaging.operation.type": "send",
      "messaging.destination.name": opts.queue.name,
      "messaging.message.id": key,
    });
    const message: NotificationMessage = {
      msgType: body.msgType,
      timestamp,
      msgBody: body.msgBody,
      sign: body.sign,
      signedOver,
      receivedAt: new Date().toISOString(),
      // The worker's span continues this one: only while tracing is on (no field otherwise).
      ...(publish && { traceparent: publish.traceparent }),
    };
    let result: Awaited<ReturnType<typeof enqueue>>;
    try {
      if (headroom && !headroom.allows()) throw new RedisMemoryFullError(headroom.ratio);
      headroom?.queued(body.msgBody.length);
      result = await enqueue(key, message);
      publish?.set({ "payzero.enqueue_result": result });
      publish?.end();
    } catch (err) {
      publish?.end(err);
      throw err;
    }
    outcome(result, body.msgType);
    // The one line per notification on this route (no access log): outcome, status and duration.
    request.log.info(
      {
        msgType: body.msgType,
        contentKey: key,
        result,
        signedOver,
        status: 200,
        durationMs: reply.elapsedTime,
      },
      "notification queued",
    );
    return reply.type("text/plain; charset=utf-8").send("OK");
  }
}

function envelopeError(data: unknown): Error {
  const first =
    data === null || typeof data !== "object" || Array.isArray(data)
      ? undefined
      : envelopeValidator.Errors(data)[0];
  const where = first?.instancePath ? `body${first.instancePath.replaceAll("/", ".")}` : "body";
  const message = first ? `${where} ${first.message}` : "body must be a JSON object";
  return Object.assign(new Error(message), { statusCode: 400 });
}

function msgTypeOf(body: unknown): string | undefined {
  const msgType = (body as { msgType?: unknown } | null)?.msgType;
  return typeof msgType === "string" ? msgType : undefined;
}
