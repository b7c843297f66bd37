// The baseline: a bare Fastify route that parses the same JSON body and only answers "OK".
// Run as a child of bench/run.ts; tells its port over IPC.
import Fastify from "fastify";

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post("/payzero/notify", async (_request, reply) => reply.type("text/plain; charset=utf-8").send("OK"));
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
process.send?.({ type: "ready" });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
