// The package's web build inside Cloudflare's workerd (the `workerd` npm
// package): a worker that encrypts and decrypts on request with a KMS
// keyring against a real kms-server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { startServer } from "../lib/kms.mjs";

const here = dirname(fileURLToPath(import.meta.url));
let server;
let workerd;
let base;
let compatBase;

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  server = await startServer();
  const key = await server.admin.createKey({});
  const port = await freePort();
  const compatPort = await freePort();
  const config = readFileSync(join(here, "config.capnp.in"), "utf8")
    .replace("@PORT@", String(port))
    .replace("@COMPAT_PORT@", String(compatPort))
    .replace("@KMS_ENDPOINT@", server.endpoint)
    .replace("@ACCESS_KEY_ID@", server.credentials.accessKeyId)
    .replace("@SECRET_ACCESS_KEY@", server.credentials.secretAccessKey)
    .replace("@KEY_ARN@", key.Arn);
  writeFileSync(join(here, "config.capnp"), config);
  const bin = join(here, "..", "node_modules", ".bin", "workerd");
  workerd = spawn(bin, ["serve", join(here, "config.capnp")], { stdio: ["ignore", "inherit", "inherit"] });
  base = `http://127.0.0.1:${port}`;
  compatBase = `http://127.0.0.1:${compatPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${base}/ping`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("workerd did not start in 30 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});

after(async () => {
  if (workerd) {
    workerd.kill("SIGTERM");
    await new Promise((r) => workerd.once("exit", r));
  }
  if (server) await server.stop();
});

test("a worker encrypts and decrypts with a KMS key, reusing cached data keys", async () => {
  const body = new Uint8Array(200_000).map((_, i) => i & 0xff);
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${base}/roundtrip`, { method: "POST", body });
    const result = await response.json();
    assert.equal(response.status, 200, JSON.stringify(result));
    assert.equal(result.same, true);
    assert.equal(result.suite, "0x0478");
    assert.match(result.keyIds[0], /^arn:aws:kms:us-east-1:\d{12}:key\//);
    assert.equal(result.stats.kmsCalls.generateDataKey, 1, JSON.stringify(result.stats));
    // Without Node.js compatibility, 200 KB goes through WebCrypto: 49
    // frames of 4 KiB each way per round trip.
    assert.equal(result.stats.platformAesFrames.nodeCrypto, 0, JSON.stringify(result.stats));
    assert.equal(result.stats.platformAesFrames.webCrypto, 98 * (i + 1), JSON.stringify(result.stats));
  }
});

test("with nodejs_compat, a worker's frames go through node:crypto", async () => {
  const body = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
  const response = await fetch(`${compatBase}/roundtrip`, { method: "POST", body });
  const result = await response.json();
  assert.equal(response.status, 200, JSON.stringify(result));
  assert.equal(result.same, true);
  // 200 KB in 4 KiB frames: 49 frames each way, none through WebCrypto.
  assert.equal(result.stats.platformAesFrames.nodeCrypto, 98, JSON.stringify(result.stats));
  assert.equal(result.stats.platformAesFrames.webCrypto, 0, JSON.stringify(result.stats));
});

test("a worker signs and verifies a signed suite and refuses a changed signature", async () => {
  // Small and large (verified while its frames are opened), with and
  // without Node.js compatibility (node:crypto's ECDSA, or WebCrypto's).
  for (const url of [base, compatBase]) {
    for (const pad of [0, 300_000]) {
      const response = await fetch(`${url}/signed?pad=${pad}`);
      const result = await response.json();
      assert.deepEqual(
        result,
        {
          suite: "0x0578",
          text: "signed in a worker",
          length: 18 + pad,
          tamperedCode: "SignatureInvalid",
          tamperedFrameCode: pad > 0 ? "InvalidCiphertext" : null,
        },
        `${url} ${pad}`,
      );
    }
  }
});

test("a worker gets EncryptionContextMismatch for the wrong context", async () => {
  const response = await fetch(`${base}/wrong-context`);
  const result = await response.json();
  assert.equal(result.code, "EncryptionContextMismatch");
});
