// The packed package in headless Chromium (playwright-core driving
// Debian's /usr/bin/chromium) on one page built twice, by Vite and by
// webpack, against kms-server with CORS for the pages' origin.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import webpack from "webpack";
import webpackConfig from "./webpack.config.mjs";
import { Admin, startServer } from "../lib/kms.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
let kms;
let web;
let browser;
let origin;

before(async () => {
  execFileSync(join(here, "..", "node_modules", ".bin", "vite"), ["build", "--config", join(here, "vite.config.mjs")], {
    stdio: "inherit",
  });
  await new Promise((resolve, reject) =>
    webpack(webpackConfig, (err, stats) => {
      if (err || stats.hasErrors()) return reject(err || new Error(stats.toString("errors-only")));
      resolve();
    }),
  );
  // webpack's bundle is a classic script; the page is the same markup.
  const html = readFileSync(join(here, "page", "index.html"), "utf8").replace('type="module" ', "");
  writeFileSync(join(dist, "webpack", "index.html"), html);
  web = createServer((req, res) => {
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
  origin = `http://127.0.0.1:${web.address().port}`;
  kms = await startServer(["--cors-origin", origin]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (web) web.close();
  if (kms) await kms.stop();
});

for (const bundler of ["vite", "webpack"]) {
  test(`the package built by ${bundler} works in Chromium against kms-server`, async () => {
    const key = await kms.admin.createKey({});
    const signing = await kms.admin.createKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    const message = "verified in a browser";
    const signed = await kms.admin.call("Sign", {
      KeyId: signing.KeyId,
      Message: Buffer.from(message).toString("base64"),
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_256",
    });
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${origin}/${bundler}/`);
    await page.waitForFunction(() => document.getElementById("status").textContent === "ready");
    const out = await page.evaluate((config) => window.runChecks(config), {
      endpoint: kms.endpoint,
      region: kms.region,
      credentials: kms.credentials,
      keyArn: key.Arn,
      signingKeyArn: signing.Arn,
      signature: signed.Signature,
      message,
    });
    console.log(`# Chromium (${bundler}): 100 MiB encrypt+decrypt stream in ${out.streamSeconds.toFixed(1)} s`);
    assert.deepEqual(errors, []);
    assert.deepEqual(out.keyIds, [key.Arn]);
    assert.equal(out.header, "0x0478");
    assert.equal(out.roundTrip, "hello chromium");
    // 201 messages under one context at 100 per data key, plus the stream: 4.
    assert.ok(out.stats.kmsCalls.generateDataKey <= 4, JSON.stringify(out.stats));
    assert.equal(out.wrongContext, "EncryptionContextMismatch");
    assert.equal(out.tampered, "InvalidCiphertext");
    assert.equal(out.denied, "AccessDenied");
    assert.equal(out.verified, true);
    assert.equal(out.verifiedFlipped, false);
    assert.equal(out.streamed, 100 * 1024 * 1024);
    assert.equal(out.streamChecksumMatches, true);

    // SM2 (cn-north-1): KMS signs a short message as RAW and a long one as
    // the DIGEST the page computes with sm2Digest; the page verifies both
    // with the key from GetPublicKey.
    const cn = new Admin(kms.endpoint, "cn-north-1", kms.credentials);
    const sm2 = await cn.createKey({ KeySpec: "SM2", KeyUsage: "SIGN_VERIFY" });
    const wrapping = await cn.createKey({});
    const publicKey = (await cn.call("GetPublicKey", { KeyId: sm2.KeyId })).PublicKey;
    const sign = async (message, messageType) =>
      (await cn.call("Sign", { KeyId: sm2.KeyId, Message: message, MessageType: messageType, SigningAlgorithm: "SM2DSA" }))
        .Signature;
    const short = "signed by KMS in cn-north-1";
    const long = "a message over KMS's 4,096-byte RAW limit. ".repeat(200);
    const config = { endpoint: kms.endpoint, credentials: kms.credentials, wrappingKeyArn: wrapping.Arn, sm2KeyArn: sm2.Arn };
    const digest = await page.evaluate((c) => window.sm2Checks(c), { ...config, publicKey, digestFor: long });
    const checks = [
      { message: short, signature: await sign(Buffer.from(short).toString("base64"), "RAW") },
      { message: long, signature: await sign(digest, "DIGEST") },
      { message: long.slice(1), signature: await sign(digest, "DIGEST") },
    ];
    const verified = await page.evaluate((c) => window.sm2Checks(c), { ...config, checks });
    // Valid, valid, another message; one GetPublicKey for the three.
    assert.deepEqual(verified, [true, true, false, 1]);
    assert.deepEqual(errors, []);
  });
}
