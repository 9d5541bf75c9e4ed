// Serves the built page (dist/) and the demo's /demo-config.json on
// 127.0.0.1. Usage: node serve.mjs PORT DIST CONFIG. Prints the URL.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";

const [port, dist, configPath] = process.argv.slice(2);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/demo-config.json") {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    return res.end(readFileSync(configPath));
  }
  const file = normalize(join(dist, path.endsWith("/") ? `${path}index.html` : path));
  if (!file.startsWith(normalize(dist))) return res.writeHead(403).end();
  try {
    const body = readFileSync(file);
    res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end("not found");
  }
});
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`serving http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
