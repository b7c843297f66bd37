// OpenTelemetry tracing: one trace per notification, receipt → enqueue → apply → each delivery attempt.
// Off unless an OTLP endpoint is set (config.tracing): the SDK is then never loaded, and every helper
// here returns null after one check, so the hot path pays nothing (no span, no job field, no header).
// When on, the SDK reads the standard OTEL_* variables itself (endpoint, headers, sampler, service
// name, batch settings); config.ts decides only whether it starts.
import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { Config } from "../config.js";
import { errorMessage } from "../util.js";

export { SpanKind };

let tracer: Tracer | null = null;

/** Registers the SDK (OTLP/HTTP exporter, batched) when config.tracing; resolves to its shutdown (flushes). */
export async function startTracing(
  config: Pick<Config, "tracing">,
  role: string,
): Promise<() => Promise<void>> {
  if (!config.tracing) return async () => {};
  const [sdk, otlp, resources, semconv] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
  ]);
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) override these.
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        [semconv.ATTR_SERVICE_NAME]: "payzero-notify",
        "payzero_notify.role": role,
      }),
    )
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdk.NodeTracerProvider({
    resource,
    spanProcessors: [new sdk.BatchSpanProcessor(new otlp.OTLPTraceExporter())],
  });
  // Also the W3C trace-context propagator and the AsyncLocalStorage context manager.
  provider.register();
  tracer = trace.getTracer("payzero-notify");
  return async () => {
    tracer = null;
    await provider.shutdown();
  };
}

/** A span of the pipeline and the W3C traceparent that continues it in another process. */
export interface Traced {
  context: Context;
  traceparent: string;
  set(attributes: Attributes): void;
  /** Ends the span, as an error when `err` is given. */
  end(err?: unknown): void;
}

/** The context a traceparent (a job's, a stored notification's) or request headers carry. */
function parentContext(parent: Context | string | Record<string, unknown> | null | undefined): Context {
  if (parent === null || parent === undefined) return ROOT_CONTEXT;
  if (typeof parent === "string") return propagation.extract(ROOT_CONTEXT, { traceparent: parent });
  if ("getValue" in parent && typeof parent.getValue === "function") return parent as Context;
  return propagation.extract(ROOT_CONTEXT, parent);
}

/**
 * Starts a span, child of `parent` (a context, a traceparent, or incoming HTTP headers); null while
 * tracing is off.
 */
export function startTraced(
  name: string,
  kind: SpanKind,
  parent: Context | string | Record<string, unknown> | null | undefined,
  attributes?: Attributes,
): Traced | null {
  if (tracer === null) return null;
  const span: Span = tracer.startSpan(name, { kind, attributes }, parentContext(parent));
  const context = trace.setSpan(ROOT_CONTEXT, span);
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier);
  return {
    context,
    traceparent: carrier.traceparent ?? "",
    set: (more) => span.setAttributes(more),
    end: (err) => {
      if (err !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        if (err instanceof Error) span.recordException(err);
      }
      span.end();
    },
  };
}
