// A real HTTP receiver on 127.0.0.1 for the webhook tests: records every request, answers as told.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request had arrived. */
  at: number;
}

type Answer = { status: number; body?: string; headers?: Record<string, string> };
/** The answer to the n-th request (1-based) on a path. `hang` never answers; a promise holds the answer until it resolves. */
type Behaviour = (n: number) => Answer | "hang" | Promise<Answer>;

export interface Receiver {
  url: (path: string) => string;
  received: Received[];
  on: (path: string, behaviour: Behaviour) => void;
  /** Closes the kept-alive connections: the next request connects (and looks the host up) anew. */
  dropConnections: () => void;
  close: () => Promise<void>;
}

const ok: Behaviour = () => ({ status: 200, body: "ok" });

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const behaviours = new Map<string, Behaviour>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({
        path,
        method: req.method ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      });
      const n = received.filter((r) => r.path === path).length;
      const answer = (behaviours.get(path) ?? ok)(n);
      if (answer === "hang") return;
      const send = (a: Answer) => {
        if (res.destroyed) return; // the sender is gone (crashed) meanwhile
        res.writeHead(a.status, { "content-type": "text/plain", ...a.headers }).end(a.body ?? "");
      };
      if (answer instanceof Promise) void answer.then(send);
      else send(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    on: (path, behaviour) => behaviours.set(path, behaviour),
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
