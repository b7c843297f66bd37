// A loopback TCP proxy that can be switched off and on: a database "outage" for tests.
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  down: () => void;
  up: () => void;
  close: () => Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  let isUp = true;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (!isUp) return client.destroy();
    const upstream = createConnection(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    port: address.port,
    down: () => {
      isUp = false;
      cut();
    },
    up: () => {
      isUp = true;
    },
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
