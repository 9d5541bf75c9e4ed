// A Cloudflare Worker (run by workerd) that encrypts and decrypts on request
// with the package's web build and a KMS keyring on kms-server. The module
// is initialised inside the handler: Workers forbid randomness at global
// scope, and initSync takes the .wasm the runtime imported as a module.
import { initSync, Session, inspect } from "./kms_envelope.js";
import wasm from "./kms_envelope_bg.wasm";

let session;

function getSession(env) {
  if (!session) {
    initSync({ module: wasm });
    session = new Session({
      region: "us-east-1",
      endpoint: env.KMS_ENDPOINT,
      credentials: { accessKeyId: env.ACCESS_KEY_ID, secretAccessKey: env.SECRET_ACCESS_KEY },
      keyring: { type: "kms", generatorKeyId: env.KEY_ARN },
      cache: { maxMessages: 100, maxAgeMs: 60000 },
    });
  }
  return session;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const s = getSession(env);
    try {
      if (url.pathname === "/roundtrip") {
        const body = new Uint8Array(await request.arrayBuffer());
        const enc = await s.encrypt(body, { encryptionContext: { runtime: "workerd" } });
        const header = inspect(enc.ciphertext);
        const dec = await s.decrypt(enc.ciphertext, { encryptionContext: { runtime: "workerd" } });
        const same = dec.plaintext.length === body.length && dec.plaintext.every((b, i) => b === body[i]);
        return Response.json({ same, keyIds: enc.keyIds, suite: header.algorithmSuite, stats: s.stats() });
      }
      if (url.pathname === "/signed") {
        // workerd's WebCrypto ECDSA where it has it (node:crypto's with
        // nodejs_compat), the pure one where not. `?pad=N` adds N bytes, so
        // that a large message is verified while its frames are opened.
        const pad = Number(url.searchParams.get("pad") ?? 0);
        const text = "signed in a worker";
        const body = new Uint8Array(text.length + pad);
        new TextEncoder().encodeInto(text, body);
        const enc = await s.encrypt(body, { suite: 0x0578, encryptionContext: { runtime: "workerd" } });
        const dec = await s.decrypt(enc.ciphertext, { encryptionContext: { runtime: "workerd" } });
        const codeOf = async (bad) => {
          try {
            await s.decrypt(bad);
            return null;
          } catch (e) {
            return e.code;
          }
        };
        const badSignature = enc.ciphertext.slice();
        badSignature[badSignature.length - 1] ^= 1;
        const badFrame = enc.ciphertext.slice();
        badFrame[badFrame.length - 200] ^= 1;
        return Response.json({
          suite: enc.algorithmSuite,
          text: new TextDecoder().decode(dec.plaintext.subarray(0, text.length)),
          length: dec.plaintext.length,
          tamperedCode: await codeOf(badSignature),
          // 200 bytes from the end of a large message: its last frame.
          tamperedFrameCode: pad > 0 ? await codeOf(badFrame) : null,
        });
      }
      if (url.pathname === "/wrong-context") {
        const enc = await s.encrypt("x", { encryptionContext: { runtime: "workerd" } });
        await s.decrypt(enc.ciphertext, { encryptionContext: { runtime: "other" } });
        return Response.json({ code: null });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ code: e.code, message: String(e.message) }, { status: 400 });
    }
  },
};
