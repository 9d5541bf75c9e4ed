// Drives the demo page in headless Chromium (playwright-core, Debian's
// chromium) against the kms-server `cargo xtask demo` started: a 50 MiB file
// encrypted and decrypted with matching digests, the header panel, a wrong
// encryption context, a tampered file and a key the page may not use shown
// in words, sign and verify, and the CLI and the page decrypting each
// other's files. Screenshots go to $SCREENSHOTS.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { AwsClient } from "aws4fetch";
import { chromium } from "playwright-core";

const url = process.env.DEMO_URL;
const endpoint = process.env.DEMO_ENDPOINT;
const dataDir = process.env.DEMO_DATA_DIR;
const cli = process.env.KMS_ENVELOPE_BIN;
const shots = process.env.SCREENSHOTS;
const work = mkdtempSync(join(tmpdir(), "kms-demo-test-"));
const digest = (bytes) => createHash("sha256").update(bytes).digest("hex");
let browser;
let page;

function kmsEnvelope(...args) {
  return execFileSync(cli, args, {
    env: {
      PATH: process.env.PATH,
      AWS_SHARED_CREDENTIALS_FILE: join(dataDir, "credentials"),
      AWS_CONFIG_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function adminCall(operation, body) {
  const text = readFileSync(join(dataDir, "credentials"), "utf8");
  const value = (k) => new RegExp(`^${k}\\s*=\\s*(\\S+)`, "m").exec(text)[1];
  const admin = new AwsClient({
    accessKeyId: value("aws_access_key_id"),
    secretAccessKey: value("aws_secret_access_key"),
    region: "us-east-1",
    service: "kms",
  });
  const r = await admin.fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${operation}` },
    body: JSON.stringify(body),
  });
  assert.ok(r.ok, `${operation}: ${r.status}`);
  return r.json();
}

async function download(linkSelector, to) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(linkSelector)]);
  await dl.saveAs(to);
  return to;
}

async function decryptInPage(file, context) {
  await page.setInputFiles("#dec-file", file);
  await page.waitForSelector("#header-panel:not([hidden])");
  if (context !== undefined) await page.fill("#dec-ctx", context);
  await page.evaluate(() => (document.getElementById("dec-result").textContent = ""));
  await page.click("#dec-go");
  await page.waitForFunction(() => !["", "Decrypting…"].includes(document.getElementById("dec-result").textContent), null, {
    timeout: 300_000,
  });
  return page.textContent("#dec-result");
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
  page = await context.newPage();
  page.on("pageerror", (e) => console.log(`# page error: ${e}`));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, {
    timeout: 60_000,
  });
  await page.screenshot({ path: join(shots, "1-ready.png"), fullPage: true });
});

after(async () => {
  if (browser) await browser.close();
});

test("a 50 MiB file encrypts and decrypts in the page with the same digest", async () => {
  const original = join(work, "big.bin");
  const bytes = randomBytes(50 * 1024 * 1024);
  writeFileSync(original, bytes);
  assert.ok((await page.$$eval("#enc-key option", (o) => o.map((x) => x.textContent))).includes("alias/demo"));
  await page.setInputFiles("#enc-file", original);
  await page.click("#ctx-add");
  const rows = await page.$$("#ctx-rows .row");
  const [k, v] = await rows[1].$$("input");
  await k.fill("case");
  await v.fill("playwright");
  const started = Date.now();
  await page.click("#enc-go");
  await page.waitForSelector("#enc-download:not([hidden])", { timeout: 300_000 });
  assert.match(await page.textContent("#enc-result"), /Encrypted 52,428,800 bytes/);
  const encrypted = await download("#enc-download", join(work, "big.bin.encrypted"));
  const encryptSeconds = (Date.now() - started) / 1000;

  await page.setInputFiles("#dec-file", encrypted);
  await page.waitForSelector("#header-panel:not([hidden])");
  const header = await page.textContent("#header-fields");
  assert.match(header, /Algorithm suite0x0478/);
  assert.match(header, /Frame length65,536 bytes/);
  assert.match(header, /purpose=demo/);
  assert.match(header, /case=playwright/);
  assert.match(header, /aws-kms: arn:aws:kms:us-east-1:111122223333:key\//);
  assert.match(header, /Frame length/);
  await page.screenshot({ path: join(shots, "2-header.png"), fullPage: true });

  const t = Date.now();
  const result = await decryptInPage(encrypted);
  assert.match(result, /Decrypted 52,428,800 bytes/);
  const decrypted = await download("#dec-download", join(work, "big.bin.out"));
  console.log(`# 50 MiB: encrypt ${encryptSeconds.toFixed(1)} s, decrypt ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.equal(digest(readFileSync(decrypted)), digest(bytes));

  // The command line decrypts what the page encrypted.
  kmsEnvelope(
    "decrypt", "-i", encrypted, "-o", join(work, "big.cli.out"), "--endpoint-url", endpoint,
    "--region", "us-east-1", "--wrapping-key", "kms-discovery", "--context", "case=playwright",
  );
  assert.equal(digest(readFileSync(join(work, "big.cli.out"))), digest(bytes));

  const stats = await page.textContent("#session-stats");
  assert.match(stats, /KMS calls[1-9]/);
});

test("errors are shown in words: wrong context, tampered file, a key the page may not use", async () => {
  const plain = join(work, "note.txt");
  writeFileSync(plain, "from the command line");
  kmsEnvelope(
    "encrypt", "-i", plain, "-o", join(work, "note.txt.encrypted"), "--endpoint-url", endpoint,
    "--region", "us-east-1", "--wrapping-key", "kms:alias/demo", "--context", "origin=cli",
  );
  // The page decrypts what the command line encrypted.
  assert.match(await decryptInPage(join(work, "note.txt.encrypted")), /Decrypted 21 bytes/);
  const back = await download("#dec-download", join(work, "note.back.txt"));
  assert.equal(readFileSync(back, "utf8"), "from the command line");

  assert.match(
    await decryptInPage(join(work, "note.txt.encrypted"), "origin=browser"),
    /encryption context does not match/,
  );
  await page.screenshot({ path: join(shots, "3-wrong-context.png"), fullPage: true });

  const tampered = readFileSync(join(work, "note.txt.encrypted"));
  tampered[tampered.length - 120] ^= 1;
  writeFileSync(join(work, "tampered.encrypted"), tampered);
  assert.match(await decryptInPage(join(work, "tampered.encrypted")), /changed after it was encrypted/);

  const other = await adminCall("CreateKey", { Description: "not for the demo page" });
  kmsEnvelope(
    "encrypt", "-i", plain, "-o", join(work, "other.encrypted"), "--endpoint-url", endpoint,
    "--region", "us-east-1", "--wrapping-key", `kms:${other.KeyMetadata.Arn}`,
  );
  assert.match(await decryptInPage(join(work, "other.encrypted")), /Access denied/);
  await page.screenshot({ path: join(shots, "4-access-denied.png"), fullPage: true });
});

test("sign through kms-server, verify in the page, and a flipped character fails", async () => {
  await page.click("#sig-sign");
  await page.waitForFunction(() => document.getElementById("sig-value").value.length > 0);
  await page.click("#sig-verify");
  await page.waitForFunction(() => document.getElementById("sig-result").textContent.includes("valid"));
  assert.match(await page.textContent("#sig-result"), /is valid/);
  await page.click("#sig-flip");
  await page.waitForFunction(() => document.getElementById("sig-result").textContent.includes("NOT"));
  await page.screenshot({ path: join(shots, "5-signature.png"), fullPage: true });
  const stats = await page.textContent("#session-stats");
  assert.match(stats, /GetPublicKey1/);
});
