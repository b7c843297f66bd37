// `--phase tracing`: the same burst with tracing off, then on (OTLP/HTTP to a sink in the bench's own
// process, which drains and counts what it gets), and the CPU per forwarded message of each.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { perMessage } from "./cpu.js";
import { burstUntilForwarded, command, freshService, type PhaseContext } from "./phases.js";

export async function runTracing(ctx: PhaseContext): Promise<void> {
  let exports = 0;
  let bytes = 0;
  const sink = createServer((req, res) => {
    req.on("data", (c: Buffer) => {
      bytes += c.length;
    });
    req.on("end", () => {
      exports++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const n = ctx.s.burstSize;
  const cmd = command(ctx, "tracing");
  try {
    for (const [label, env] of [
      ["off", {}],
      ["on", { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }],
    ] as const) {
      console.log(`tracing ${label}: burst of ${n} until all are forwarded …`);
      const service = await freshService(ctx, false, env);
      const r = await burstUntilForwarded(ctx, service, n, `tracing-${label}`);
      await service.child.stop();
      ctx.figures.push(
        {
          figure: `6. burst of ${n}, tracing ${label}: CPU per forwarded message`,
          value: perMessage(r.cpu, r.forwarded, n),
          command: cmd,
        },
        {
          figure: `6. burst of ${n}, tracing ${label}: all forwarded, end to end`,
          value: r.forwardedS === null ? "not all" : `${r.forwardedS.toFixed(2)} s`,
          command: cmd,
        },
      );
    }
    if (exports === 0) ctx.failures.push("tracing on: the OTLP sink received no spans");
    console.log(`OTLP sink: ${exports} exports, ${(bytes / 2 ** 20).toFixed(1)} MB`);
  } finally {
    sink.close();
  }
}
