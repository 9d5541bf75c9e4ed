// The client benchmarks in Node. `cargo xtask bench` runs this in a
// throwaway project under the target directory with the packed kms-envelope
// and the pinned peers of bench/package.json.
//
//   node node.mjs client --runs N --message-seconds S --out FILE
//   node node.mjs memory --bytes N --runs N --out FILE (a child per library and run)
//   node node.mjs cache --messages N --out FILE   (needs KMS_SERVER_BIN)
//   node node.mjs stream LIBRARY SUITE BYTES      (the child: prints JSON)
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import esdkNode from "@aws-crypto/client-node";
import { KMS } from "@aws-sdk/client-kms";
import { Session } from "kms-envelope";

import { KEY_NAME, KEY_NAMESPACE, WRAPPING_KEY, crossCheck, kmsEnvelope, measure, streamThrough, webCrypto } from "./lib/client.mjs";
import { esdk } from "./lib/esdk.mjs";
import { cacheEffect } from "./lib/cache.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));

function esdkNodeLibrary() {
  const keyring = async () =>
    new esdkNode.RawAesKeyringNode({
      keyNamespace: KEY_NAMESPACE,
      keyName: KEY_NAME,
      unencryptedMasterKey: WRAPPING_KEY,
      wrappingSuite: esdkNode.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
  // ESDK-JS streams are Node Duplexes; the shared loop reads Web Streams.
  const stream = (client, ring, suite, source) =>
    Readable.toWeb(
      Readable.fromWeb(source)
        .pipe(client.encryptStream(ring, { suiteId: suite, frameLength: 64 * 1024 }))
        .pipe(client.decryptStream(ring)),
    );
  return esdk("ESDK-JS", esdkNode, keyring, stream);
}

const libraries = () => [kmsEnvelope(Session), esdkNodeLibrary(), webCrypto()];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "5" },
    "message-seconds": { type: "string", default: "1" },
    bytes: { type: "string", default: String(256 * 1024 * 1024) },
    messages: { type: "string", default: "1000" },
    out: { type: "string" },
  },
});

const write = (value) => {
  const text = JSON.stringify(value, null, 2);
  if (values.out) writeFileSync(values.out, text + "\n");
  else console.log(text);
};
const log = (line) => console.error(`# node: ${line}`);

const runtime = { runtime: "node", version: process.version };

switch (positionals[0]) {
  case "client": {
    const [ours, peer] = libraries();
    const cross = await crossCheck(ours, peer);
    for (const c of cross) log(`${c.from} -> ${c.to} ${c.suite}: ${c.ok ? "ok" : `FAILED ${c.error ?? ""}`}`);
    if (cross.some((c) => !c.ok)) throw new Error("cross-check failed: the libraries do not read each other's messages");
    const records = await measure(libraries(), {
      runs: Number(values.runs),
      messageSeconds: Number(values["message-seconds"]),
      log,
    });
    write({ ...runtime, crossCheck: cross, records });
    break;
  }
  case "memory": {
    // One fresh process per library and suite; the baseline process loads
    // the same modules and streams nothing.
    const total = Number(values.bytes);
    const child = (lib, suite) => {
      const r = spawnSync(process.execPath, [`${here}/node.mjs`, "stream", lib, String(suite), String(total)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) throw new Error(`stream child ${lib} ${suite} exited with ${r.status}`);
      return JSON.parse(r.stdout);
    };
    const baseline = child("none", 0);
    const records = [];
    for (const lib of libraries()) {
      for (const suite of lib.suites ?? [0]) {
        const samples = [];
        for (let run = 0; run < Number(values.runs); run++) samples.push(child(lib.name, suite));
        const peak = Math.max(...samples.map((r) => r.maxRss));
        log(`${lib.name} ${suite ? suite.toString(16) : ""}: ${total >> 20} MiB stream, peak RSS up to ${(peak / 2 ** 20).toFixed(0)} MiB, ${samples.map((r) => r.seconds.toFixed(1)).join("/")} s`);
        records.push({
          library: lib.name,
          suite: lib.suites ? `0x${suite.toString(16).padStart(4, "0")}` : null,
          metric: "stream peak RSS",
          unit: "B",
          runs: samples.map((r) => r.maxRss),
          seconds: samples.map((r) => r.seconds),
        });
      }
    }
    write({ ...runtime, measured: "peak resident set size (maxRSS) of a fresh Node process per library", streamBytes: total, baselineRss: baseline.maxRss, records });
    break;
  }
  case "stream": {
    const [, name, suite, total] = positionals;
    let seconds = 0;
    if (name !== "none") {
      const lib = libraries().find((l) => l.name === name);
      if (!lib) throw new Error(`no library ${name}`);
      seconds = await streamThrough(lib, Number(suite) || null, Number(total));
    }
    console.log(JSON.stringify({ maxRss: process.resourceUsage().maxRSS * 1024, seconds }));
    break;
  }
  case "cache": {
    const result = await cacheEffect(Session, { sdk: esdkNode, KMS, messages: Number(values.messages), log });
    write({ ...runtime, ...result });
    break;
  }
  default:
    throw new Error(`unknown command ${positionals[0]} (client, memory, cache, stream)`);
}
