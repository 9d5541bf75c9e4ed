// The packed npm package in Deno (the `deno` npm package's binary), through
// the package's `deno` export condition, against a real kms-server.
import { Session, inspect, sm2Digest } from "kms-envelope";
// @ts-types="../lib/kms.d.mts"
import { Admin, startServer } from "../lib/kms.mjs";

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as { code: string }).code;
  }
  throw new Error("expected an error");
}

Deno.test("KMS keyrings, cache, verify and error codes in Deno", async () => {
  const server = await startServer();
  try {
    const key = await server.admin.createKey({});
    const session = (keyring: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      new Session({
        region: server.region,
        endpoint: server.endpoint,
        credentials: server.credentials,
        keyring: keyring as never,
        ...extra,
      });
    const s = session({ type: "kms", generatorKeyId: key.Arn }, { cache: { maxMessages: 100 } });
    const enc = await s.encrypt("hello deno", { encryptionContext: { runtime: "deno" } });
    assert(inspect(enc.ciphertext).encryptedDataKeys[0].keyId === key.Arn, "key ARN in header");
    const dec = await s.decrypt(enc.ciphertext, { encryptionContext: { runtime: "deno" } });
    assert(new TextDecoder().decode(dec.plaintext) === "hello deno", "round trip");
    for (let i = 0; i < 300; i++) await s.encrypt(`r${i}`, { encryptionContext: { runtime: "deno" } });
    assert(s.stats().kmsCalls.generateDataKey <= 4, JSON.stringify(s.stats()));
    // Deno has process.getBuiltinModule and a node:crypto that passes the
    // known-answer test: its frames go there.
    assert(s.stats().platformAesFrames.nodeCrypto >= 302, JSON.stringify(s.stats()));
    assert(
      (await code(s.decrypt(enc.ciphertext, { encryptionContext: { runtime: "node" } }))) ===
        "EncryptionContextMismatch",
      "wrong context",
    );
    const tampered = enc.ciphertext.slice();
    tampered[tampered.length - 2] ^= 1;
    assert((await code(s.decrypt(tampered))) === "InvalidCiphertext", "tampered");

    // A signed suite: Deno's WebCrypto ECDSA where it has it, the pure one
    // where not; a changed signature is refused either way.
    const signedEnc = await s.encrypt("deno signs", { suite: 0x0578, encryptionContext: { runtime: "deno" } });
    assert(signedEnc.algorithmSuite === "0x0578", "signed suite");
    const signedDec = await s.decrypt(signedEnc.ciphertext, { encryptionContext: { runtime: "deno" } });
    assert(new TextDecoder().decode(signedDec.plaintext) === "deno signs", "signed round trip");
    const badSignature = signedEnc.ciphertext.slice();
    badSignature[badSignature.length - 1] ^= 1;
    assert((await code(s.decrypt(badSignature))) === "SignatureInvalid", "changed signature");
    // Large: hashed as it is assembled, and verified while its frames are
    // opened.
    const large = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff);
    const largeEnc = await s.encrypt(large, { suite: 0x0578 });
    const largeDec = await s.decrypt(largeEnc.ciphertext);
    assert(largeDec.plaintext.every((b: number, i: number) => b === large[i]), "large signed round trip");
    const largeBad = largeEnc.ciphertext.slice();
    largeBad[largeBad.length - 1] ^= 1;
    assert((await code(s.decrypt(largeBad))) === "SignatureInvalid", "large changed signature");
    largeBad[largeBad.length - 1] ^= 1;
    largeBad[largeBad.length - 200] ^= 1;
    assert((await code(s.decrypt(largeBad))) === "InvalidCiphertext", "large changed frame");

    // Signed streams: hashed by node:crypto's Sign and Verify as they pass.
    const chunked = (bytes: Uint8Array, size: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
          controller.close();
        },
      });
    const readAll = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());
    const streamed = await readAll(await s.encryptStream(chunked(large, 7000), { suite: 0x0578 }));
    const back = await readAll(s.decryptStream(chunked(streamed, 5000)));
    assert(back.length === large.length && back.every((b, i) => b === large[i]), "signed stream round trip");
    assert((await s.decrypt(streamed)).plaintext.length === large.length, "a signed stream decrypts whole");
    const streamedBad = streamed.slice();
    streamedBad[streamedBad.length - 1] ^= 1;
    assert((await code(readAll(s.decryptStream(chunked(streamedBad, 5000))))) === "SignatureInvalid", "signed stream, changed signature");

    const signing = await server.admin.createKey({ KeySpec: "ECC_NIST_P384", KeyUsage: "SIGN_VERIFY" });
    const message = new TextEncoder().encode("deno verifies");
    const signed = await server.admin.call("Sign", {
      KeyId: signing.KeyId,
      Message: btoa(String.fromCharCode(...message)),
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_384",
    });
    const signature = Uint8Array.from(atob(signed.Signature), (c) => c.charCodeAt(0));
    const ok = await s.verify({ keyId: signing.Arn, message, signature, signingAlgorithm: "ECDSA_SHA_384" });
    assert(ok.valid, "signature verifies");

    // An Ed25519 key, its algorithm named by a string only known at run
    // time (as it would come from DescribeKey): the types accept it.
    const ed = await server.admin.createKey({ KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" });
    const edAlgorithm: string = (ed.SigningAlgorithms as string[])[0];
    const edSigned = await server.admin.call("Sign", {
      KeyId: ed.KeyId,
      Message: btoa(String.fromCharCode(...message)),
      MessageType: "RAW",
      SigningAlgorithm: edAlgorithm,
    });
    const edSignature = Uint8Array.from(atob(edSigned.Signature), (c) => c.charCodeAt(0));
    const edOk = await s.verify({ keyId: ed.Arn, message, signature: edSignature, signingAlgorithm: edAlgorithm });
    assert(edAlgorithm === "ED25519_SHA_512" && edOk.valid, "Ed25519 signature verifies");
    edSignature[0] ^= 1;
    const edBad = await s.verify({ keyId: ed.Arn, message, signature: edSignature, signingAlgorithm: edAlgorithm });
    assert(!edBad.valid, "changed Ed25519 signature");

    // An SM2 key in a China Region: KMS signs a large message's DIGEST,
    // which sm2Digest computes (two arguments: KMS's distinguishing ID),
    // and the session verifies it with the key from GetPublicKey.
    const cn = new Admin(server.endpoint, "cn-north-1", server.credentials);
    const sm2 = await cn.createKey({ KeySpec: "SM2", KeyUsage: "SIGN_VERIFY" });
    const sm2Public = Uint8Array.from(atob((await cn.call("GetPublicKey", { KeyId: sm2.KeyId })).PublicKey), (c) =>
      c.charCodeAt(0)
    );
    const sm2Message = new Uint8Array(50_000).fill(0x2a);
    const sm2Signed = await cn.call("Sign", {
      KeyId: sm2.KeyId,
      Message: btoa(String.fromCharCode(...sm2Digest(sm2Public, sm2Message))),
      MessageType: "DIGEST",
      SigningAlgorithm: "SM2DSA",
    });
    const sm2Signature = Uint8Array.from(atob(sm2Signed.Signature), (c) => c.charCodeAt(0));
    const cnSession = new Session({
      region: "cn-north-1",
      endpoint: server.endpoint,
      credentials: server.credentials,
      keyring: { type: "kms", generatorKeyId: (await cn.createKey({})).Arn },
    });
    const sm2Ok = await cnSession.verify({ keyId: sm2.Arn, message: sm2Message, signature: sm2Signature, signingAlgorithm: "SM2DSA" });
    assert(sm2Ok.valid && sm2Ok.keyId === sm2.Arn, "SM2DSA signature verifies");
    sm2Message[0] ^= 1;
    const sm2Bad = await cnSession.verify({ keyId: sm2.Arn, message: sm2Message, signature: sm2Signature, signingAlgorithm: "SM2DSA" });
    assert(!sm2Bad.valid, "SM2DSA over another message");

    const disabled = await server.admin.createKey({});
    await server.admin.call("DisableKey", { KeyId: disabled.KeyId });
    assert(
      (await code(session({ type: "kms", generatorKeyId: disabled.Arn }).encrypt("x"))) === "KeyUnavailable",
      "disabled key",
    );
  } finally {
    await server.stop();
  }
});
