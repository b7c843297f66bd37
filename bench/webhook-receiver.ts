// The merchant's side: a node:http server that answers 204 and counts distinct webhook-ids.
// Run as a child of bench/run.ts; on {type:"expect", n} it reports {type:"reached", at} once n
// distinct messages arrived, and {type:"stats"} answers with what it has seen.
import { createServer } from "node:http";

const seen = new Set<string>();
let total = 0;
let expected = Number.POSITIVE_INFINITY;

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on("end", () => {
    total++;
    const id = req.headers["webhook-id"];
    if (typeof id === "string") seen.add(id);
    res.writeHead(204).end();
    if (seen.size >= expected) {
      expected = Number.POSITIVE_INFINITY;
      process.send?.({ type: "reached", at: Date.now() });
    }
  });
});

process.on("message", (msg: { type: string; n?: number }) => {
  if (msg.type === "reset") {
    seen.clear();
    total = 0;
  } else if (msg.type === "expect") {
    expected = msg.n ?? 0;
    if (seen.size >= expected) {
      expected = Number.POSITIVE_INFINITY;
      process.send?.({ type: "reached", at: Date.now() });
    }
  } else if (msg.type === "stats") {
    process.send?.({ type: "stats", distinct: seen.size, total });
  }
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => process.send?.({ type: "ready" }));
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
