// The compose test's webhook receiver, a service on the stack's network (docker-compose.test.yml):
// records every POST and lists them at GET /received.
import { createServer } from "node:http";

const received = [];
createServer((req, res) => {
  if (req.method === "GET" && req.url === "/received") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(received));
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", () => {
    received.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.statusCode = 204;
    res.end();
  });
}).listen(8080, "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
