// Built by Vite from the packed package: the page the browser test drives.
// window.runChecks(config) runs every check against kms-server and returns
// a summary the test asserts on.
import init, { Session, inspect, sm2Digest } from "kms-envelope";

async function code(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return e.code;
  }
}

window.runChecks = async ({ endpoint, region, credentials, keyArn, signingKeyArn, signature, message }) => {
  await init();
  const out = {};
  const session = new Session({
    region,
    endpoint,
    credentials,
    keyring: { type: "kms", generatorKeyId: keyArn },
    cache: { maxMessages: 100, maxAgeMs: 600000 },
  });
  const enc = await session.encrypt("hello chromium", { encryptionContext: { runtime: "chromium" } });
  out.keyIds = enc.keyIds;
  out.header = inspect(enc.ciphertext).algorithmSuite;
  const dec = await session.decrypt(enc.ciphertext, { encryptionContext: { runtime: "chromium" } });
  out.roundTrip = new TextDecoder().decode(dec.plaintext);
  for (let i = 0; i < 200; i++) await session.encrypt(`r${i}`, { encryptionContext: { runtime: "chromium" } });
  out.wrongContext = await code(session.decrypt(enc.ciphertext, { encryptionContext: { runtime: "x" } }));
  const tampered = enc.ciphertext.slice();
  tampered[tampered.length - 1] ^= 1;
  out.tampered = await code(session.decrypt(tampered));
  const denied = new Session({
    region,
    endpoint,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: "wrong" },
    keyring: { type: "kms", generatorKeyId: keyArn },
  });
  out.denied = await code(denied.encrypt("x"));

  const msg = new TextEncoder().encode(message);
  const sig = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  out.verified = (await session.verify({ keyId: signingKeyArn, message: msg, signature: sig, signingAlgorithm: "ECDSA_SHA_256" })).valid;
  msg[0] ^= 1;
  out.verifiedFlipped = (await session.verify({ keyId: signingKeyArn, message: msg, signature: sig, signingAlgorithm: "ECDSA_SHA_256" })).valid;

  // 100 MiB through the streams, hashed on both sides with WebCrypto.
  const total = 100 * 1024 * 1024;
  const chunk = new Uint8Array(1024 * 1024).map((_, i) => (i * 13) & 0xff);
  let sent = 0;
  let sum = 0;
  const source = new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk.slice());
    },
  });
  const started = performance.now();
  const encrypted = await session.encryptStream(source, { frameLength: 65536, plaintextLength: total });
  const reader = session.decryptStream(encrypted).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i += 4096) sum = (sum + value[i]) >>> 0;
    out.streamed = (out.streamed || 0) + value.length;
  }
  out.streamSeconds = (performance.now() - started) / 1000;
  let expected = 0;
  for (let at = 0; at < total; at += 4096) expected = (expected + chunk[at % chunk.length]) >>> 0;
  out.streamChecksumMatches = sum === expected;
  out.stats = session.stats();
  document.getElementById("status").textContent = "done";
  return out;
};
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));

// An SM2 key in cn-north-1 (China Regions only). `digestFor` asks for
// sm2Digest of a message (which KMS then signs as a DIGEST); `checks`
// verifies signatures with the key fetched through GetPublicKey.
window.sm2Checks = async ({ endpoint, credentials, wrappingKeyArn, sm2KeyArn, publicKey, digestFor, checks }) => {
  await init();
  if (digestFor) return toBase64(sm2Digest(fromBase64(publicKey), digestFor));
  const session = new Session({
    region: "cn-north-1",
    endpoint,
    credentials,
    keyring: { type: "kms", generatorKeyId: wrappingKeyArn },
  });
  const results = [];
  for (const { message, signature } of checks) {
    const request = { keyId: sm2KeyArn, message, signature: fromBase64(signature), signingAlgorithm: "SM2DSA" };
    results.push((await session.verify(request)).valid);
  }
  results.push(session.stats().kmsCalls.getPublicKey);
  return results;
};
document.getElementById("status").textContent = "ready";
