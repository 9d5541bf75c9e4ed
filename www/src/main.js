// The demo page: encrypts and decrypts files with kms-envelope (KMS keyring,
// streaming, data-key cache), signs text through kms-server and verifies the
// signature here with the cached public key. Its credentials come from
// /demo-config.json, which `cargo xtask demo` writes for this local demo
// only: a principal the demo keys' policies name, not the admin.
import init, { Session, inspect } from "kms-envelope";
import { AwsClient } from "aws4fetch";

const $ = (id) => document.getElementById(id);
let config;
let kms; // aws4fetch client for the calls the package does not make (ListAliases, Sign)
const sessions = new Map(); // one session (and cache) per key

/** Words a person understands, by the package's stable error codes. */
const MESSAGES = {
  EncryptionContextMismatch: "The encryption context does not match the one this file was encrypted with.",
  InvalidCiphertext: "This file is not a valid encrypted message, or it was changed after it was encrypted.",
  HeaderAuthentication: "This file was changed after it was encrypted (its header does not authenticate).",
  SignatureInvalid: "This file was changed after it was encrypted (its signature does not verify).",
  Truncated: "This file is incomplete: it ends before the message does.",
  AccessDenied: "Access denied: this page's credentials may not use that key.",
  KeyUnavailable: "The key is disabled or waiting to be deleted, so the KMS refused to use it.",
  NotFound: "The key does not exist (any more).",
  Throttling: "The KMS is throttling requests; try again in a moment.",
  KmsUnreachable: "The KMS could not be reached.",
  BrowserStorageFull:
    "The browser has no room left to keep this result. Download the earlier results, then reload the page and try again (a private window keeps everything in memory).",
};

function explain(e) {
  if (e && e.code && MESSAGES[e.code]) return MESSAGES[e.code];
  if (e && e.code) return `${e.code}: ${e.message}`;
  return String(e && e.message ? e.message : e);
}

function show(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = ok ? "ok" : "error";
}

async function kmsCall(operation, body) {
  const response = await kms.fetch(config.endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${operation}` },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) {
    const code = String(json.__type || "Error").split("#").pop().replace(/Exception$/, "");
    throw Object.assign(new Error(json.message || code), { code: code === "AccessDenied" ? "AccessDenied" : code });
  }
  return json;
}

function session(keyId) {
  if (!sessions.has(keyId)) {
    sessions.set(
      keyId,
      new Session({
        endpoint: config.endpoint,
        region: config.region,
        credentials: config.credentials,
        keyring: { type: "kms", generatorKeyId: keyId },
        cache: { capacity: 16, maxAgeMs: 300000, maxMessages: 1000 },
      }),
    );
  }
  return sessions.get(keyId);
}

function refreshStats() {
  const totals = { "KMS calls": 0, "GenerateDataKey": 0, "Decrypt": 0, "GetPublicKey": 0, "Cache hits": 0, "Cache misses": 0, "Data keys cached": 0 };
  for (const s of sessions.values()) {
    const st = s.stats();
    totals["KMS calls"] += st.kmsCalls.total;
    totals.GenerateDataKey += st.kmsCalls.generateDataKey;
    totals.Decrypt += st.kmsCalls.decrypt;
    totals.GetPublicKey += st.kmsCalls.getPublicKey;
    if (st.dataKeyCache) {
      totals["Cache hits"] += st.dataKeyCache.hits;
      totals["Cache misses"] += st.dataKeyCache.misses;
      totals["Data keys cached"] += st.dataKeyCache.entries;
    }
  }
  const dl = $("session-stats");
  dl.replaceChildren();
  for (const [k, v] of Object.entries(totals)) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = String(v);
    dd.dataset.stat = k;
    dl.append(dt, dd);
  }
}

function addContextRow(key = "", value = "") {
  const row = document.createElement("div");
  row.className = "row";
  const k = Object.assign(document.createElement("input"), { placeholder: "key", value: key, ariaLabel: "context key" });
  const v = Object.assign(document.createElement("input"), { placeholder: "value", value, ariaLabel: "context value" });
  const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "Remove" });
  remove.onclick = () => row.remove();
  row.append(k, v, remove);
  $("ctx-rows").append(row);
}

function encryptionContext() {
  const ctx = {};
  for (const row of $("ctx-rows").children) {
    const [k, v] = row.querySelectorAll("input");
    if (k.value.trim()) ctx[k.value.trim()] = v.value;
  }
  return ctx;
}

function parseContextLines(text) {
  const ctx = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) ctx[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return ctx;
}

function offerDownload(id, blob, name) {
  const a = $(id);
  if (a.href) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.textContent = `Download ${name} (${blob.size.toLocaleString()} bytes)`;
  a.hidden = false;
}

/**
 * Collects a stream into a Blob (which the browser keeps on disk when it is
 * large). Response turns a stream's error into a bare "Failed to fetch";
 * this keeps the package's error, with its code, for the message.
 */
async function toBlob(stream) {
  const reader = stream.getReader();
  let failure;
  const guarded = new ReadableStream({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        failure = e;
        controller.error(e);
      }
    },
  });
  try {
    return await new Response(guarded).blob();
  } catch (e) {
    if (failure) throw failure;
    // The stream was fine: the browser refused to keep the Blob. Seen with
    // 1 GiB results in a private window, which keeps Blobs in memory: a
    // second 1 GiB result beside the first exceeds its quota.
    throw Object.assign(new Error(`the browser could not keep the result (${e.message})`), { code: "BrowserStorageFull" });
  }
}

let encSource = null; // File chosen or dropped
let decSource = null;

async function encrypt() {
  const keyId = $("enc-key").value;
  const text = $("enc-text").value;
  const file = encSource;
  const input = file ? file : new Blob([text]);
  const name = file ? file.name : "text.txt";
  const total = input.size || 1;
  $("enc-go").disabled = true;
  $("enc-download").hidden = true;
  show("enc-result", "Encrypting…", true);
  try {
    // 0x0478 (committing, unsigned) so that decrypting streams too: a signed
    // message's plaintext is held until its signature verifies at the end.
    const out = await session(keyId).encryptStream(input.stream(), {
      suite: "0x0478",
      frameLength: 65536,
      encryptionContext: encryptionContext(),
      onProgress: (bytes) => ($("enc-progress").value = bytes / total),
    });
    // The stream is pulled one frame at a time; the Blob it fills is kept
    // by the browser (on disk for large files), not in this page's memory.
    const blob = await toBlob(out);
    $("enc-progress").value = 1;
    offerDownload("enc-download", blob, `${name}.encrypted`);
    show("enc-result", `Encrypted ${input.size.toLocaleString()} bytes into ${blob.size.toLocaleString()}.`, true);
  } catch (e) {
    show("enc-result", explain(e), false);
  } finally {
    $("enc-go").disabled = false;
    refreshStats();
  }
}

async function showHeader(file) {
  decSource = file;
  const panel = $("header-panel");
  const fields = $("header-fields");
  fields.replaceChildren();
  try {
    const head = new Uint8Array(await file.slice(0, 1 << 20).arrayBuffer());
    const h = inspect(head);
    const rows = [
      ["Format version", String(h.formatVersion)],
      ["Algorithm suite", h.algorithmSuite],
      ["Signed", h.signed ? "yes (ECDSA P-384)" : "no"],
      ["Frame length", `${h.frameLength.toLocaleString()} bytes`],
      ["Encryption context", Object.entries(h.encryptionContext).map(([k, v]) => `${k}=${v}`).join(", ") || "(none)"],
      ...h.encryptedDataKeys.map((k, i) => [`Encrypted data key ${i + 1}`, `${k.providerId}: ${k.keyId}`]),
    ];
    for (const [k, v] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      fields.append(dt, dd);
    }
    $("dec-ctx").value = Object.entries(h.encryptionContext).map(([k, v]) => `${k}=${v}`).join("\n");
    panel.hidden = false;
    $("dec-go").disabled = false;
    show("dec-result", "", true);
  } catch (e) {
    panel.hidden = true;
    $("dec-go").disabled = true;
    show("dec-result", explain(e), false);
  }
}

async function decrypt() {
  const file = decSource;
  if (!file) return;
  $("dec-go").disabled = true;
  $("dec-download").hidden = true;
  show("dec-result", "Decrypting…", true);
  try {
    const header = inspect(new Uint8Array(await file.slice(0, 1 << 20).arrayBuffer()));
    const keyId = header.encryptedDataKeys.find((k) => k.providerId === "aws-kms")?.keyId;
    const out = session(keyId || $("enc-key").value).decryptStream(file.stream(), {
      encryptionContext: parseContextLines($("dec-ctx").value),
      onProgress: (bytes) => ($("dec-progress").value = bytes / (file.size || 1)),
    });
    const blob = await toBlob(out);
    $("dec-progress").value = 1;
    const name = file.name.replace(/\.encrypted$/, "") || "decrypted";
    offerDownload("dec-download", blob, name);
    show("dec-result", `Decrypted ${blob.size.toLocaleString()} bytes.`, true);
  } catch (e) {
    show("dec-result", explain(e), false);
  } finally {
    $("dec-go").disabled = false;
    refreshStats();
  }
}

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function sign() {
  try {
    const out = await kmsCall("Sign", {
      KeyId: config.signingKey,
      Message: b64(new TextEncoder().encode($("sig-text").value)),
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_256",
    });
    $("sig-value").value = out.Signature;
    $("sig-verify").disabled = false;
    $("sig-flip").disabled = false;
    show("sig-result", "Signed by kms-server.", true);
  } catch (e) {
    show("sig-result", explain(e), false);
  }
}

async function verify(flip) {
  let text = $("sig-text").value;
  if (flip) {
    const i = Math.floor(text.length / 2);
    text = text.slice(0, i) + (text[i] === "x" ? "y" : "x") + text.slice(i + 1);
    $("sig-text").value = text;
  }
  try {
    const out = await session(config.signingKey).verify({
      keyId: config.signingKey,
      message: text,
      signature: unb64($("sig-value").value),
      signingAlgorithm: "ECDSA_SHA_256",
    });
    show(
      "sig-result",
      out.valid ? "The signature is valid for this text (checked in this page)." : "The signature does NOT match this text.",
      out.valid,
    );
  } catch (e) {
    show("sig-result", explain(e), false);
  } finally {
    refreshStats();
  }
}

function dropZone(id, onFile) {
  const zone = $(id);
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const file = e.dataTransfer.files[0];
    if (file) onFile(file);
  });
}

async function start() {
  await init();
  config = await (await fetch("/demo-config.json")).json();
  kms = new AwsClient({ ...config.credentials, region: config.region, service: "kms" });
  const aliases = (await kmsCall("ListAliases", {})).Aliases.filter((a) => a.TargetKeyId && !a.AliasName.startsWith("alias/aws/"));
  for (const a of aliases) {
    if (a.AliasName === config.signingKey) continue;
    const option = document.createElement("option");
    option.value = a.AliasArn;
    option.textContent = a.AliasName;
    option.selected = a.AliasName === config.key;
    $("enc-key").append(option);
  }
  addContextRow("purpose", "demo");
  $("ctx-add").onclick = () => addContextRow();
  $("enc-file").onchange = (e) => (encSource = e.target.files[0] || null);
  dropZone("enc-drop", (f) => {
    encSource = f;
    $("enc-drop").textContent = `Selected: ${f.name}`;
  });
  $("dec-file").onchange = (e) => e.target.files[0] && showHeader(e.target.files[0]);
  dropZone("dec-drop", showHeader);
  $("enc-go").onclick = encrypt;
  $("dec-go").onclick = decrypt;
  $("sig-sign").onclick = sign;
  $("sig-verify").onclick = () => verify(false);
  $("sig-flip").onclick = () => verify(true);
  refreshStats();
  show("status", `Ready: ${config.endpoint} (${config.region}) as ${config.principal}`, true);
}

start().catch((e) => show("status", `The demo could not start: ${explain(e)}`, false));
