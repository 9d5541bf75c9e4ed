// Evaluated as a function body by the tests (no module snippets, so the
// same file runs under every wasm-bindgen-test runner); it returns its API.
// A fake KMS behind a stubbed globalThis.fetch, for the binding tests.
// It checks each request is SigV4-signed AWS JSON 1.1 and answers
// GenerateDataKey, Encrypt, Decrypt and GetPublicKey from memory.
// Key ids: "alias/disabled" -> DisabledException, "alias/denied" ->
// AccessDeniedException, "alias/throttled-N" -> N ThrottlingExceptions
// then success.

const ARN = (id) => `arn:aws:kms:us-east-1:111122223333:key/${id}`;
const state = { blobs: new Map(), next: 1, throttled: new Map(), requests: [], publicKeys: new Map() };

function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
function unb64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
function answer(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/x-amz-json-1.1" },
  });
}
function fail(type, message) {
  return answer(400, { __type: type, message });
}
function keyOf(id) {
  if (id.startsWith("arn:")) return id.split("/").pop();
  return id.replace(/^alias\//, "");
}

function installFakeKms() {
  state.blobs.clear();
  state.throttled.clear();
  state.requests.length = 0;
  globalThis.fetch = async (url, init) => {
    const headers = new Headers(init.headers);
    const target = headers.get("x-amz-target") || "";
    const auth = headers.get("authorization") || "";
    state.requests.push({ url: String(url), target, auth });
    if (!auth.startsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !headers.get("x-amz-date")) {
      return fail("IncompleteSignatureException", "unsigned request");
    }
    if (headers.get("content-type") !== "application/x-amz-json-1.1") {
      return fail("SerializationException", "bad content type");
    }
    const body = JSON.parse(new TextDecoder().decode(init.body));
    const op = target.replace("TrentService.", "");
    const key = keyOf(body.KeyId || "");
    if (key === "disabled") return fail("DisabledException", `${ARN(key)} is disabled.`);
    if (key === "denied") return fail("AccessDeniedException", "User: arn:aws:iam::111122223333:user/test is not authorized to perform: kms:" + op);
    const m = /^throttled-(\d+)$/.exec(key);
    if (m) {
      const seen = state.throttled.get(key) || 0;
      state.throttled.set(key, seen + 1);
      if (seen < Number(m[1])) return fail("ThrottlingException", "Rate exceeded");
    }
    if (key === "server-error") return new Response("oops", { status: 500 });
    // What fetch does when nothing listens.
    if (key === "unreachable") throw new TypeError("fetch failed");
    const context = JSON.stringify(body.EncryptionContext || {});
    switch (op) {
      case "GenerateDataKey": {
        const plaintext = crypto.getRandomValues(new Uint8Array(body.NumberOfBytes));
        const id = state.next++;
        const blob = new Uint8Array([0xfa, ...new TextEncoder().encode(String(id))]);
        state.blobs.set(b64(blob), { plaintext, context, key });
        return answer(200, { KeyId: ARN(key), Plaintext: b64(plaintext), CiphertextBlob: b64(blob) });
      }
      case "Encrypt": {
        const id = state.next++;
        const blob = new Uint8Array([0xfb, ...new TextEncoder().encode(String(id))]);
        state.blobs.set(b64(blob), { plaintext: unb64(body.Plaintext), context, key });
        return answer(200, { KeyId: ARN(key), CiphertextBlob: b64(blob), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
      }
      case "Decrypt": {
        const entry = state.blobs.get(body.CiphertextBlob);
        if (!entry || entry.context !== context || entry.key !== key) {
          return fail("InvalidCiphertextException", "");
        }
        return answer(200, { KeyId: ARN(key), Plaintext: b64(entry.plaintext), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
      }
      case "GetPublicKey": {
        const der = state.publicKeys.get(key);
        if (!der) return fail("NotFoundException", `Key '${ARN(key)}' does not exist`);
        return answer(200, { KeyId: ARN(key), PublicKey: der, KeySpec: "ECC_NIST_P256", CustomerMasterKeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", SigningAlgorithms: ["ECDSA_SHA_256"] });
      }
      default:
        return fail("UnsupportedOperationException", op);
    }
  };
}

function addPublicKey(key, derBase64) {
  state.publicKeys.set(key, derBase64);
}

function requestCount(op) {
  return state.requests.filter((r) => r.target === "TrentService." + op).length;
}

function lastUrl() {
  return state.requests.length ? state.requests[state.requests.length - 1].url : "";
}

function streamOf(chunks) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

// Reads until the stream ends or errors: { released: Uint8Array, code }.
async function collectUntilError(stream) {
  const parts = [];
  const sizes = [];
  let code = null;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      sizes.push(value.length);
    }
  } catch (e) {
    code = e.code || String(e);
  }
  const released = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const part of parts) {
    released.set(part, at);
    at += part.length;
  }
  return { released, sizes, code };
}

async function collect(stream) {
  const parts = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function errorCode(e) {
  return e && typeof e === "object" && "code" in e ? String(e.code) : `not a coded error: ${e}`;
}

function errorName(e) {
  return e && e.name ? String(e.name) : "";
}

function obj(json) {
  return JSON.parse(json);
}

function withBytes(o, path, bytes) {
  const parts = path.split(".");
  let t = o;
  for (const p of parts.slice(0, -1)) t = t[p];
  t[parts[parts.length - 1]] = bytes;
  return o;
}

function get(o, path) {
  let t = o;
  for (const p of path.split(".")) t = t[p];
  return t;
}
// node:crypto as the bindings find it: process.getBuiltinModule (Node only).
const savedBuiltin = { set: false, value: undefined };
function hasNodeCrypto() {
  return typeof globalThis.process?.getBuiltinModule === "function";
}
// Node 20.16 and later have it (what the Node run must find).
function nodeHasBuiltinModule() {
  const [major, minor] = (globalThis.process?.versions?.node ?? "0.0").split(".").map(Number);
  return major > 20 || (major === 20 && minor >= 16);
}
function replaceBuiltin(value) {
  if (!hasNodeCrypto()) return;
  if (!savedBuiltin.set) Object.assign(savedBuiltin, { set: true, value: process.getBuiltinModule });
  process.getBuiltinModule = value;
}
function hideNodeCrypto() {
  replaceBuiltin(undefined);
}
// A node:crypto whose AES-GCM ciphertext has its first bit flipped.
function breakNodeCrypto() {
  const real = process.getBuiltinModule("node:crypto");
  const broken = Object.create(real, {
    createCipheriv: {
      value: (...args) => {
        const cipher = real.createCipheriv(...args);
        const update = cipher.update.bind(cipher);
        cipher.update = (data) => {
          const out = update(data);
          if (out.length) out[0] ^= 1;
          return out;
        };
        return cipher;
      },
    },
  });
  const original = process.getBuiltinModule;
  replaceBuiltin((name) => (name === "node:crypto" ? broken : original(name)));
}
function restoreNodeCrypto() {
  if (savedBuiltin.set) process.getBuiltinModule = savedBuiltin.value;
  savedBuiltin.set = false;
}

return { nodeHasBuiltinModule, hasNodeCrypto, hideNodeCrypto, breakNodeCrypto, restoreNodeCrypto, installFakeKms, addPublicKey, requestCount, lastUrl, streamOf, collect, collectUntilError, errorCode, errorName, obj, withBytes, get };
