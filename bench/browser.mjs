// The client benchmarks in headless Chromium: playwright-core drives the
// system's chromium (CHROMIUM) on the page Vite builds from browser/page,
// served from 127.0.0.1.
//
//   node browser.mjs client --runs N --message-seconds S --out FILE
//   node browser.mjs memory --bytes N --runs N --out FILE (a fresh browser per library and run)
//   node browser.mjs size --out FILE               (minified bundles, gzipped)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const vite = join(here, "node_modules", ".bin", "vite");
const dist = join(here, "browser", "dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const log = (line) => console.error(`# chromium: ${line}`);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "5" },
    "message-seconds": { type: "string", default: "1" },
    bytes: { type: "string", default: String(256 * 1024 * 1024) },
    out: { type: "string" },
  },
});

const write = (value) => {
  const text = JSON.stringify(value, null, 2);
  if (values.out) writeFileSync(values.out, text + "\n");
  else console.log(text);
};

function build() {
  if (!existsSync(join(dist, "index.html"))) {
    execFileSync(vite, ["build", "--config", join(here, "browser", "vite.config.mjs")], { stdio: "inherit" });
  }
}

async function serve() {
  const web = createServer((req, res) => {
    const path = normalize(join(dist, new URL(req.url, "http://x").pathname.replace(/\/$/, "/index.html")));
    if (!path.startsWith(dist)) return res.writeHead(403).end();
    try {
      const body = readFileSync(path);
      res.writeHead(200, { "content-type": types[extname(path)] || "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => web.listen(0, "127.0.0.1", r));
  return web;
}

const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // --expose-gc: lib/client.mjs collects garbage before each timed operation.
    args: ["--js-flags=--expose-gc", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });

async function open(browser, web) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${web.address().port}/`);
  await page.waitForFunction(() => document.getElementById("status").textContent === "ready", null, { timeout: 60_000 });
  return { page, errors };
}

/**
 * Peak RSS (VmHWM, from /proc) of the browser's renderer processes, in
 * bytes; Chromium names their process ids over CDP.
 */
async function rendererPeakRss(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
  await cdp.detach();
  let peak = 0;
  for (const p of processInfo.filter((p) => p.type === "renderer")) {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p.id}/status`, "utf8"));
    if (kb) peak = Math.max(peak, Number(kb[1]) * 1024);
  }
  if (!peak) throw new Error("no renderer process found");
  return peak;
}

switch (positionals[0]) {
  case "client": {
    build();
    const web = await serve();
    const browser = await launch();
    try {
      const { page, errors } = await open(browser, web);
      const out = await page.evaluate((cfg) => window.bench.client(cfg), {
        runs: Number(values.runs),
        messageSeconds: Number(values["message-seconds"]),
      });
      for (const line of out.log) log(line);
      for (const c of out.crossCheck) log(`${c.from} -> ${c.to} ${c.suite}: ${c.ok ? "ok" : `FAILED ${c.error ?? ""}`}`);
      if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
      if (out.crossCheck.some((c) => !c.ok)) throw new Error("cross-check failed in Chromium");
      write({ runtime: "chromium", version: browser.version(), crossCheck: out.crossCheck, records: out.records });
    } finally {
      await browser.close();
      web.close();
    }
    break;
  }
  case "memory": {
    build();
    const total = Number(values.bytes);
    const web = await serve();
    const records = [];
    let baselineRss = 0;
    let version = "";
    try {
      // The baseline: a fresh browser with the page loaded, nothing streamed.
      const first = await launch();
      version = first.version();
      const streams = await (async () => {
        const { page } = await open(first, web);
        const s = await page.evaluate(() => window.bench.streams());
        baselineRss = await rendererPeakRss(first);
        return s;
      })();
      await first.close();
      for (const [name, suites] of streams) {
        for (const suite of suites ?? [null]) {
          const hex = suite == null ? null : `0x${suite.toString(16).padStart(4, "0")}`;
          const runs = [];
          const seconds = [];
          for (let run = 0; run < Number(values.runs); run++) {
            const browser = await launch();
            try {
              const { page, errors } = await open(browser, web);
              seconds.push(await page.evaluate(([n, s, t]) => window.bench.stream(n, s, t), [name, suite, total]));
              runs.push(await rendererPeakRss(browser));
              if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
            } finally {
              await browser.close();
            }
          }
          log(`${name} ${hex ?? ""}: ${total >> 20} MiB stream, renderer peak RSS up to ${(Math.max(...runs) / 2 ** 20).toFixed(0)} MiB, ${seconds.map((s) => s.toFixed(1)).join("/")} s`);
          records.push({ library: name, suite: hex, metric: "stream peak RSS", unit: "B", runs, seconds });
        }
      }
    } finally {
      web.close();
    }
    write({
      runtime: "chromium",
      version,
      measured: "peak resident set size (VmHWM) of the page's renderer process, a fresh browser per library; the browser ESDK has no streaming API",
      streamBytes: total,
      baselineRss,
      records,
    });
    break;
  }
  case "size": {
    const out = {};
    for (const entry of ["esdk", "kms-envelope"]) {
      execFileSync(vite, ["build", "--config", join(here, "browser", "size.config.mjs")], {
        stdio: "inherit",
        env: { ...process.env, BENCH_SIZE_ENTRY: entry },
      });
      const files = [];
      const walk = (dir) => {
        for (const f of readdirSync(dir)) {
          const p = join(dir, f);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\.(js|wasm)$/.test(f)) files.push(p);
        }
      };
      walk(join(here, "browser", "dist-size", entry));
      const sum = (ext) => {
        const picked = files.filter((f) => f.endsWith(ext));
        const bytes = picked.map((f) => readFileSync(f));
        return {
          raw: bytes.reduce((n, b) => n + b.length, 0),
          gzip: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
        };
      };
      out[entry] = { js: sum(".js"), wasm: sum(".wasm") };
      log(`${entry}: JS ${out[entry].js.raw} B (${out[entry].js.gzip} gzipped), wasm ${out[entry].wasm.raw} B (${out[entry].wasm.gzip} gzipped)`);
    }
    write(out);
    break;
  }
  default:
    throw new Error(`unknown command ${positionals[0]} (client, memory, size)`);
}
