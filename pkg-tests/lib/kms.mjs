// Test support shared by every runtime's pkg-tests: start a kms-server and
// call its admin API (CreateKey, Sign, DisableKey, ...) with a small SigV4
// signer, so the tests need nothing but the packed package.
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Starts kms-server (KMS_SERVER_BIN) on a free port with a fresh data dir. */
export async function startServer(extraArgs = []) {
  const bin = process.env.KMS_SERVER_BIN;
  if (!bin) throw new Error("KMS_SERVER_BIN is not set (cargo xtask test sets it)");
  const dataDir = mkdtempSync(join(tmpdir(), "kms-pkg-tests-"));
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--data-dir", dataDir, "--no-request-quotas", ...extraArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const endpoint = await new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error("kms-server did not start in 30 s")), 30_000);
    child.stdout.on("data", (d) => {
      buffered += d;
      const m = /listening on (http:\/\/\S+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`kms-server exited with ${code}`)));
  });
  const text = readFileSync(join(dataDir, "credentials"), "utf8");
  const value = (k) => new RegExp(`^${k}\\s*=\\s*(\\S+)`, "m").exec(text)[1];
  const credentials = {
    accessKeyId: value("aws_access_key_id"),
    secretAccessKey: value("aws_secret_access_key"),
  };
  return {
    endpoint,
    region: "us-east-1",
    credentials,
    admin: new Admin(endpoint, "us-east-1", credentials),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

/** A minimal SigV4-signed KMS JSON client for test setup. */
export class Admin {
  constructor(endpoint, region, credentials) {
    this.endpoint = endpoint;
    this.region = region;
    this.credentials = credentials;
  }

  async call(operation, body) {
    const url = new URL(this.endpoint);
    const payload = JSON.stringify(body);
    const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const day = now.slice(0, 8);
    const headers = {
      "content-type": "application/x-amz-json-1.1",
      host: url.host,
      "x-amz-date": now,
      "x-amz-target": `TrentService.${operation}`,
    };
    const names = Object.keys(headers).sort();
    const canonical = [
      "POST",
      "/",
      "",
      ...names.map((n) => `${n}:${headers[n]}\n`).join("").split("\n").slice(0, -1),
      "",
      names.join(";"),
      sha256(payload),
    ].join("\n");
    const scope = `${day}/${this.region}/kms/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", now, scope, sha256(canonical)].join("\n");
    let key = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
    for (const part of [this.region, "kms", "aws4_request"]) key = hmac(key, part);
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
    delete headers.host;
    const response = await fetch(this.endpoint, { method: "POST", headers, body: payload });
    const json = await response.json();
    if (!response.ok) throw new Error(`${operation}: ${json.__type}: ${json.message}`);
    return json;
  }

  async createKey(params = {}) {
    return (await this.call("CreateKey", params)).KeyMetadata;
  }
}
