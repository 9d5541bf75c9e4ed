// The packed npm package in Node (node:test) against a real kms-server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Session, inspect, sm2Digest } from "kms-envelope";
import { Admin, startServer } from "../lib/kms.mjs";

// The runs on Node before 20.16 (no process.getBuiltinModule) take the
// paths of a browser: WebCrypto, and the AES-GCM compiled in.
const hasNodeCrypto = typeof process.getBuiltinModule === "function";
console.log(`# Node ${process.version}; node:crypto path: ${hasNodeCrypto}`);

// In a suite, not at the root: Node 20.0's runner does not run root-level
// hooks before the tests.
describe("the packed package in Node", () => {
  let server;
  let key; // a symmetric key's metadata
  let alias;

  before(async () => {
    server = await startServer();
    key = await server.admin.createKey({ Description: "pkg-tests" });
    alias = "alias/pkg-tests";
    await server.admin.call("CreateAlias", { AliasName: alias, TargetKeyId: key.KeyId });
  });
  after(async () => server && (await server.stop()));

  const session = (keyring, extra = {}) =>
    new Session({
      region: server.region,
      endpoint: server.endpoint,
      credentials: server.credentials,
      keyring,
      ...extra,
    });

  test("encrypts with an alias and decrypts with the key ARN", async () => {
    const enc = await session({ type: "kms", generatorKeyId: alias }).encrypt("hello kms", {
      encryptionContext: { purpose: "pkg-test" },
    });
    assert.deepEqual(enc.keyIds, [key.Arn]);
    assert.equal(enc.algorithmSuite, "0x0478");
    const header = inspect(enc.ciphertext);
    assert.equal(header.encryptedDataKeys[0].providerId, "aws-kms");
    assert.equal(header.encryptionContext.purpose, "pkg-test");
    const dec = await session({ type: "kms", generatorKeyId: key.Arn }).decrypt(enc.ciphertext, {
      encryptionContext: { purpose: "pkg-test" },
    });
    assert.equal(new TextDecoder().decode(dec.plaintext), "hello kms");
    assert.equal(dec.encryptionContext.purpose, "pkg-test");
  });

  test("signed suite 0x0578 and discovery decryption", async () => {
    const enc = await session({ type: "kms", generatorKeyId: key.Arn }).encrypt(new Uint8Array(10_000).fill(7), {
      suite: 0x0578,
    });
    assert.equal(enc.algorithmSuite, "0x0578");
    const dec = await session({
      type: "kms-discovery",
      discoveryFilter: { partition: "aws", accountIds: [key.AWSAccountId] },
    }).decrypt(enc.ciphertext);
    assert.equal(dec.plaintext.length, 10_000);
  });

  test("the session cache avoids KMS calls", async () => {
    const s = session({ type: "kms", generatorKeyId: key.Arn }, { cache: { maxMessages: 100, maxAgeMs: 600_000 } });
    for (let i = 0; i < 1000; i++) await s.encrypt(`record ${i}`, { encryptionContext: { t: "1" } });
    const stats = s.stats();
    assert.ok(stats.kmsCalls.generateDataKey <= 10, JSON.stringify(stats));
    assert.ok(stats.dataKeyCache.hits >= 990, JSON.stringify(stats));
    // Node 20.16+ has process.getBuiltinModule: every frame goes to
    // node:crypto. Before it, a small one-shot message uses the AES-GCM
    // compiled in (WebCrypto only from 64 KiB).
    const frames = hasNodeCrypto ? { nodeCrypto: 1000, webCrypto: 0 } : { nodeCrypto: 0, webCrypto: 0 };
    assert.deepEqual(stats.platformAesFrames, frames, JSON.stringify(stats));
  });

  test("the AWS Encryption SDK for Python decrypts what the package encrypts, and the reverse", async (t) => {
    const python = process.env.PYTHON;
    if (!python) return t.skip("PYTHON (a venv with aws-encryption-sdk) is not set");
    const dir = mkdtempSync(join(tmpdir(), "pkg-esdk-"));
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "python", "esdk.py");
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_"))),
      AWS_ENDPOINT_URL_KMS: server.endpoint,
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: server.region,
    };
    const esdk = (...args) => execFileSync(python, [script, ...args], { env, encoding: "utf8" });
    try {
      const s = session({ type: "kms", generatorKeyId: key.Arn });
      const data = new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff);
      for (const suite of [0x0478, 0x0578]) {
        const enc = await s.encrypt(data, { suite, encryptionContext: { origin: "npm" } });
        writeFileSync(join(dir, "from-npm"), enc.ciphertext);
        const context = JSON.parse(esdk("decrypt", key.Arn, join(dir, "from-npm"), join(dir, "npm-plain")));
        assert.equal(context.origin, "npm");
        assert.deepEqual(new Uint8Array(readFileSync(join(dir, "npm-plain"))), data);

        writeFileSync(join(dir, "plain"), data);
        esdk("encrypt", key.Arn, join(dir, "plain"), join(dir, "from-python"), suite.toString(16).padStart(4, "0"));
        const dec = await s.decrypt(new Uint8Array(readFileSync(join(dir, "from-python"))), {
          encryptionContext: { origin: "python" },
        });
        assert.deepEqual(dec.plaintext, data);
        assert.equal(dec.algorithmSuite, `0x0${suite.toString(16)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function code(promise) {
    try {
      await promise;
    } catch (e) {
      assert.equal(e.name, "KmsEnvelopeError");
      return e.code;
    }
    assert.fail("expected an error");
  }

  test("errors carry stable codes and the session keeps working", async () => {
    const s = session({ type: "kms", generatorKeyId: key.Arn });
    const enc = await s.encrypt("data", { encryptionContext: { tenant: "a" } });
    assert.equal(await code(s.decrypt(enc.ciphertext, { encryptionContext: { tenant: "b" } })), "EncryptionContextMismatch");
    const tampered = enc.ciphertext.slice();
    tampered[tampered.length - 3] ^= 1;
    assert.equal(await code(s.decrypt(tampered)), "InvalidCiphertext");
    assert.equal(await code(s.decrypt(new Uint8Array([1, 2, 3]))), "InvalidCiphertext");
    const denied = new Session({
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: "wrong" },
      keyring: { type: "kms", generatorKeyId: key.Arn },
    });
    assert.equal(await code(denied.encrypt("x")), "AccessDenied");
    const missing = session({ type: "kms", generatorKeyId: "alias/does-not-exist" });
    assert.equal(await code(missing.encrypt("x")), "NotFound");
    // Still works after all of that.
    const dec = await s.decrypt(enc.ciphertext, { encryptionContext: { tenant: "a" } });
    assert.equal(new TextDecoder().decode(dec.plaintext), "data");
  });

  test("a disabled key gives KeyUnavailable", async () => {
    const k = await server.admin.createKey({});
    await server.admin.call("DisableKey", { KeyId: k.KeyId });
    assert.equal(await code(session({ type: "kms", generatorKeyId: k.Arn }).encrypt("x")), "KeyUnavailable");
  });

  test("verifies a KMS signature with the cached public key", async () => {
    const k = await server.admin.createKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    const message = new TextEncoder().encode("signed by kms-server");
    const signed = await server.admin.call("Sign", {
      KeyId: k.KeyId,
      Message: Buffer.from(message).toString("base64"),
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_256",
    });
    const signature = Buffer.from(signed.Signature, "base64");
    const s = session({ type: "kms", generatorKeyId: key.Arn });
    const ok = await s.verify({ keyId: k.Arn, message, signature, signingAlgorithm: "ECDSA_SHA_256" });
    assert.equal(ok.valid, true);
    const flipped = message.slice();
    flipped[0] ^= 1;
    const bad = await s.verify({ keyId: k.Arn, message: flipped, signature, signingAlgorithm: "ECDSA_SHA_256" });
    assert.equal(bad.valid, false);
    const stats = s.stats();
    assert.equal(stats.kmsCalls.getPublicKey, 1);
    assert.equal(stats.publicKeyCache.hits, 1);
  });

  test("verifies kms-server's Ed25519 and ML-DSA signatures, as Node's OpenSSL does", async () => {
    const sign = async (keyId, message, messageType, algorithm) =>
      Buffer.from(
        (
          await server.admin.call("Sign", {
            KeyId: keyId,
            Message: Buffer.from(message).toString("base64"),
            MessageType: messageType,
            SigningAlgorithm: algorithm,
          })
        ).Signature,
        "base64",
      );
    const publicKey = async (keyId) =>
      Buffer.from((await server.admin.call("GetPublicKey", { KeyId: keyId })).PublicKey, "base64");
    const message = new TextEncoder().encode("signed by kms-server");
    const s = session({ type: "kms", generatorKeyId: key.Arn });

    const ed = await server.admin.createKey({ KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" });
    const pure = await sign(ed.KeyId, message, "RAW", "ED25519_SHA_512");
    const spki = createPublicKey({ key: await publicKey(ed.KeyId), format: "der", type: "spki" });
    assert.equal(nodeVerify(null, message, spki, pure), true, "Node's Ed25519 accepts KMS's signature");
    assert.equal((await s.verify({ keyId: ed.Arn, message, signature: pure, signingAlgorithm: "ED25519_SHA_512" })).valid, true);
    const digest = createHash("sha512").update(message).digest();
    const ph = await sign(ed.KeyId, digest, "DIGEST", "ED25519_PH_SHA_512");
    const phOk = await s.verify({ keyId: ed.Arn, message: digest, messageType: "DIGEST", signature: ph, signingAlgorithm: "ED25519_PH_SHA_512" });
    assert.equal(phOk.valid, true);
    assert.equal((await s.verify({ keyId: ed.Arn, message: digest, messageType: "DIGEST", signature: pure, signingAlgorithm: "ED25519_PH_SHA_512" })).valid, false);

    const ml = await server.admin.createKey({ KeySpec: "ML_DSA_44", KeyUsage: "SIGN_VERIFY" });
    const raw = await sign(ml.KeyId, message, "RAW", "ML_DSA_SHAKE_256");
    // FIPS 204's mu, computed here: SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64)
    // with pk the last 1,312 bytes of the SubjectPublicKeyInfo.
    const pk = (await publicKey(ml.KeyId)).subarray(-1312);
    const tr = createHash("shake256", { outputLength: 64 }).update(pk).digest();
    const mu = createHash("shake256", { outputLength: 64 }).update(tr).update(Buffer.from([0, 0])).update(message).digest();
    const fromMu = await sign(ml.KeyId, mu, "EXTERNAL_MU", "ML_DSA_SHAKE_256");
    for (const signature of [raw, fromMu]) {
      const asRaw = await s.verify({ keyId: ml.Arn, message, signature, signingAlgorithm: "ML_DSA_SHAKE_256" });
      const asMu = await s.verify({ keyId: ml.Arn, message: mu, messageType: "EXTERNAL_MU", signature, signingAlgorithm: "ML_DSA_SHAKE_256" });
      assert.deepEqual([asRaw.valid, asMu.valid], [true, true]);
    }
    const flipped = raw.slice();
    flipped[100] ^= 1;
    assert.equal((await s.verify({ keyId: ml.Arn, message, signature: flipped, signingAlgorithm: "ML_DSA_SHAKE_256" })).valid, false);
    assert.equal(await code(s.verify({ keyId: ml.Arn, message, messageType: "DIGEST", signature: raw, signingAlgorithm: "ML_DSA_SHAKE_256" })), "InvalidArgument");
    assert.equal(s.stats().kmsCalls.getPublicKey, 2);
  });

  test("in cn-north-1 (aws-cn): verifies kms-server's SM2DSA signatures with the key from GetPublicKey; KMS and discovery keyrings", async () => {
    // SM2 keys exist in China Regions only, at AWS and in kms-server.
    const cn = new Admin(server.endpoint, "cn-north-1", server.credentials);
    const k = await cn.createKey({ KeySpec: "SM2", KeyUsage: "SIGN_VERIFY" });
    assert.match(k.Arn, /^arn:aws-cn:kms:cn-north-1:/);
    const sign = async (message, messageType) =>
      Buffer.from(
        (
          await cn.call("Sign", {
            KeyId: k.KeyId,
            Message: Buffer.from(message).toString("base64"),
            MessageType: messageType,
            SigningAlgorithm: "SM2DSA",
          })
        ).Signature,
        "base64",
      );
    const wrapping = await cn.createKey({});
    const s = new Session({
      region: "cn-north-1",
      endpoint: server.endpoint,
      credentials: server.credentials,
      keyring: { type: "kms", generatorKeyId: wrapping.Arn },
    });
    const verify = (message, messageType, signature) =>
      s.verify({ keyId: k.Arn, message, messageType, signature, signingAlgorithm: "SM2DSA" });

    // Up to 4,096 bytes KMS signs the message itself.
    const short = new TextEncoder().encode("signed by kms-server with an SM2 key");
    const overShort = await sign(short, "RAW");
    assert.equal((await verify(short, "RAW", overShort)).valid, true);
    // Larger messages: the caller computes SM3(Z || M) with sm2Digest and
    // KMS signs that DIGEST; the signature is one over the message.
    const publicKey = Buffer.from((await cn.call("GetPublicKey", { KeyId: k.KeyId })).PublicKey, "base64");
    const large = Buffer.alloc(100_000, "signed as a DIGEST, being over 4,096 bytes. ");
    const digest = sm2Digest(publicKey, large);
    const overLarge = await sign(digest, "DIGEST");
    assert.equal((await verify(large, "RAW", overLarge)).valid, true);
    assert.equal((await verify(digest, "DIGEST", overLarge)).valid, true);
    assert.equal((await verify(large.subarray(1), "RAW", overLarge)).valid, false);
    assert.equal((await verify(short, "RAW", overLarge)).valid, false);
    // One GetPublicKey for the session, then its cache.
    const stats = s.stats();
    assert.equal(stats.kmsCalls.getPublicKey, 1, JSON.stringify(stats));
    assert.equal(stats.publicKeyCache.hits, 4, JSON.stringify(stats));

    // The KMS keyring in the aws-cn partition: a discovery filter for
    // aws-cn decrypts, one for aws does not even ask KMS.
    const enc = await s.encrypt("in cn-north-1", { encryptionContext: { region: "cn" } });
    assert.deepEqual(enc.keyIds, [wrapping.Arn]);
    const discovery = (partition) =>
      new Session({
        region: "cn-north-1",
        endpoint: server.endpoint,
        credentials: server.credentials,
        keyring: { type: "kms-discovery", discoveryFilter: { partition, accountIds: [wrapping.AWSAccountId] } },
      });
    const dec = await discovery("aws-cn").decrypt(enc.ciphertext);
    assert.equal(new TextDecoder().decode(dec.plaintext), "in cn-north-1");
    assert.deepEqual(dec.keyIds, [wrapping.Arn]);
    const other = discovery("aws");
    assert.equal(await code(other.decrypt(enc.ciphertext)), "NoDecryptableDataKey");
    assert.equal(other.stats().kmsCalls.decrypt, 0);
  });

  test("verifies OpenSSL's SM2DSA signatures, over the message and over sm2Digest's digest, with KMS's distinguishing ID or another", async () => {
    // OpenSSL signs as KMS does, SM3 after the Z value of the
    // distinguishing ID 1234567812345678.
    const dir = mkdtempSync(join(tmpdir(), "pkg-sm2-"));
    try {
      const openssl = (...args) => execFileSync("openssl", args, { cwd: dir });
      const message = Buffer.alloc(10_000, "signed as a DIGEST, being over 4,096 bytes. ");
      writeFileSync(join(dir, "message"), message);
      openssl("genpkey", "-algorithm", "SM2", "-out", "key.pem");
      openssl("pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "public.der");
      openssl("dgst", "-sm3", "-sign", "key.pem", "-sigopt", "distid:1234567812345678", "-out", "signature", "message");
      const publicKey = readFileSync(join(dir, "public.der"));
      const signature = readFileSync(join(dir, "signature"));
      const digest = sm2Digest(publicKey, message);
      assert.equal(digest.length, 32);
      const s = session({ type: "kms", generatorKeyId: key.Arn });
      const verify = (m, messageType) => s.verify({ publicKey, message: m, messageType, signature, signingAlgorithm: "SM2DSA" });
      assert.equal((await verify(message, "RAW")).valid, true);
      assert.equal((await verify(digest, "DIGEST")).valid, true);
      assert.equal((await verify(sm2Digest(publicKey, message.subarray(1)), "DIGEST")).valid, false);
      assert.throws(() => sm2Digest(new Uint8Array([0x30, 0x00]), message), (e) => e.code === "InvalidKey");
      // A signer with its own distinguishing ID: its signature verifies as
      // the DIGEST sm2Digest makes with that ID, not as RAW.
      const id = "ALICE123@YAHOO.COM";
      openssl("dgst", "-sm3", "-sign", "key.pem", "-sigopt", `distid:${id}`, "-out", "alice", "message");
      const alice = readFileSync(join(dir, "alice"));
      const verifyAlice = (m, messageType) => s.verify({ publicKey, message: m, messageType, signature: alice, signingAlgorithm: "SM2DSA" });
      assert.equal((await verifyAlice(sm2Digest(publicKey, message, id), "DIGEST")).valid, true);
      assert.equal((await verifyAlice(sm2Digest(publicKey, message, new TextEncoder().encode(id)), "DIGEST")).valid, true);
      assert.equal((await verifyAlice(digest, "DIGEST")).valid, false);
      assert.equal((await verifyAlice(message, "RAW")).valid, false);
      assert.deepEqual(sm2Digest(publicKey, message, "1234567812345678"), digest);
      assert.throws(() => sm2Digest(publicKey, message, "7".repeat(8192)), (e) => e.code === "InvalidArgument");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("streams 100 MiB through encryptStream and decryptStream", async () => {
    const total = 100 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    let sent = 0;
    const inHash = createHash("sha256");
    const source = new ReadableStream({
      pull(controller) {
        if (sent >= total) return controller.close();
        const c = chunk.slice();
        c[0] = sent / chunk.length;
        inHash.update(c);
        sent += c.length;
        controller.enqueue(c);
      },
    });
    const s = session({ type: "kms", generatorKeyId: key.Arn });
    let progress = 0;
    const encrypted = await s.encryptStream(source, {
      encryptionContext: { stream: "1" },
      frameLength: 65536,
      onProgress: (n) => (progress = n),
    });
    const decrypted = s.decryptStream(encrypted, { encryptionContext: { stream: "1" } });
    const outHash = createHash("sha256");
    let received = 0;
    let peakRss = 0;
    for await (const part of decrypted) {
      outHash.update(part);
      received += part.length;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    assert.equal(received, total);
    assert.equal(progress, total);
    assert.equal(outHash.digest("hex"), inHash.digest("hex"));
    // 1,600 frames each way, every one through the runtime's AES-GCM.
    const frames = s.stats().platformAesFrames;
    assert.equal(hasNodeCrypto ? frames.nodeCrypto : frames.webCrypto, 2 * 1600, JSON.stringify(frames));
    console.log(`# 100 MiB streamed; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    // Memory is one frame at a time: far below the 100 MiB that went through.
    assert.ok(peakRss < 200 * 2 ** 20, `peak RSS ${peakRss}`);
  });

  test("a KMS RSA keyring wraps locally with the public key and unwraps through KMS Decrypt", async () => {
    const k = await server.admin.createKey({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" });
    for (const encryptionAlgorithm of ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"]) {
      const s = session({ type: "kms-rsa", keyId: k.Arn, encryptionAlgorithm });
      const enc = await s.encrypt("wrapped by an RSA KMS key", { encryptionContext: { rsa: "yes" } });
      const [edk] = inspect(enc.ciphertext).encryptedDataKeys;
      assert.equal(edk.providerId, "aws-kms-rsa");
      assert.equal(edk.keyId, k.Arn);
      const dec = await s.decrypt(enc.ciphertext);
      assert.equal(new TextDecoder().decode(dec.plaintext), "wrapped by an RSA KMS key");
      // Wrapping needed the public key once and no GenerateDataKey; unwrapping
      // went through KMS Decrypt with this algorithm.
      const calls = s.stats().kmsCalls;
      assert.equal(calls.getPublicKey, 1);
      assert.equal(calls.generateDataKey, 0);
      assert.equal(calls.decrypt, 1);
    }
    // A data key wrapped with OAEP-SHA-256 does not unwrap as OAEP-SHA-1: KMS
    // answers InvalidCiphertextException, which keeps its code.
    const sha256 = session({ type: "kms-rsa", keyId: k.Arn, encryptionAlgorithm: "RSAES_OAEP_SHA_256" });
    const sha1 = session({ type: "kms-rsa", keyId: k.Arn, encryptionAlgorithm: "RSAES_OAEP_SHA_1" });
    const enc = await sha256.encrypt("x");
    assert.equal(await code(sha1.decrypt(enc.ciphertext)), "InvalidCiphertext");
  });

  test("key policies: an unnamed principal and a wrong encryption context are denied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kms-pkg-policy-"));
    const app = { accessKeyId: "AKIAPKGTESTAPP000001", secretAccessKey: "app-secret-for-pkg-tests-only" };
    const other = { accessKeyId: "AKIAPKGTESTOTHER0001", secretAccessKey: "other-secret-for-pkg-tests-only" };
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        access_keys: [
          { access_key_id: app.accessKeyId, secret_access_key: app.secretAccessKey, principal_arn: "arn:aws:iam::111122223333:user/app" },
          { access_key_id: other.accessKeyId, secret_access_key: other.secretAccessKey, principal_arn: "arn:aws:iam::111122223333:user/other" },
        ],
      }),
    );
    const srv = await startServer(["--config", config]);
    try {
      const policy = {
        Version: "2012-10-17",
        Statement: [
          { Sid: "admin", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
          {
            Sid: "app, tenant a only",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::111122223333:user/app" },
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: "*",
            Condition: { StringEquals: { "kms:EncryptionContext:tenant": "a" } },
          },
        ],
      };
      const k = await srv.admin.createKey({ Policy: JSON.stringify(policy) });
      const as = (credentials) =>
        new Session({ region: srv.region, endpoint: srv.endpoint, credentials, keyring: { type: "kms", generatorKeyId: k.Arn } });
      const appSession = as(app);
      const enc = await appSession.encrypt("tenant a data", { encryptionContext: { tenant: "a" } });
      const dec = await appSession.decrypt(enc.ciphertext);
      assert.equal(new TextDecoder().decode(dec.plaintext), "tenant a data");

      // The condition on the encryption context.
      const wrongContext = await appSession.encrypt("x", { encryptionContext: { tenant: "b" } }).catch((e) => e);
      assert.equal(wrongContext.code, "AccessDenied");
      assert.match(wrongContext.message, /user\/app/);
      assert.match(wrongContext.message, /kms:GenerateDataKey/);

      // A principal the policy does not name: neither encrypt nor decrypt.
      const otherSession = as(other);
      assert.equal(await code(otherSession.encrypt("x", { encryptionContext: { tenant: "a" } })), "AccessDenied");
      const denied = await otherSession.decrypt(enc.ciphertext).catch((e) => e);
      assert.equal(denied.code, "AccessDenied");
      assert.match(denied.message, /user\/other/);

      // The app session still works after the denials.
      const again = await appSession.decrypt(enc.ciphertext);
      assert.equal(new TextDecoder().decode(again.plaintext), "tenant a data");
    } finally {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
