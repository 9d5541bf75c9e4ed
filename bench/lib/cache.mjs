// The cache effect: KMS calls per N messages with and without a data-key
// cache, against a real kms-server, for kms-envelope's Session and, side by
// side, the AWS Encryption SDK for JavaScript (KMS keyring, with and
// without its caching materials manager). Node only: the counts do not
// depend on the runtime.
import { bytes } from "./client.mjs";
// Copied from pkg-tests/lib by `cargo xtask bench` (one kms-server starter).
import { startServer } from "./kms.mjs";

/** maxMessages of the caching configurations (both libraries). */
export const MAX_MESSAGES = 100;
const MAX_AGE_MS = 600_000;
const CONTEXT = { tenant: "bench" };

async function timedLoop(messages, f) {
  const start = performance.now();
  const out = [];
  for (let i = 0; i < messages; i++) out.push(await f(i));
  return [out, (performance.now() - start) / 1000];
}

async function ours(Session, kms, keyArn, cache, messages, message) {
  const session = new Session({
    region: kms.region,
    endpoint: kms.endpoint,
    credentials: kms.credentials,
    keyring: { type: "kms", generatorKeyId: keyArn },
    cache,
  });
  const [cts, encryptSeconds] = await timedLoop(messages, async () => (await session.encrypt(message, { encryptionContext: CONTEXT })).ciphertext);
  const afterEncrypt = session.stats().kmsCalls;
  const [, decryptSeconds] = await timedLoop(messages, async (i) => (await session.decrypt(cts[i])).plaintext);
  const after = session.stats().kmsCalls;
  return {
    generateDataKey: afterEncrypt.generateDataKey,
    encryptCalls: afterEncrypt.total,
    decrypt: after.decrypt,
    totalCalls: after.total,
    encryptSeconds,
    decryptSeconds,
  };
}

async function theirs(sdk, KMS, kms, keyArn, caching, messages, message) {
  const counts = { generateDataKey: 0, encrypt: 0, decrypt: 0 };
  const client = new KMS({ region: kms.region, endpoint: kms.endpoint, credentials: kms.credentials });
  // The keyring asks this supplier for a client per call: count there.
  const counting = {
    generateDataKey: (a) => (counts.generateDataKey++, client.generateDataKey(a)),
    encrypt: (a) => (counts.encrypt++, client.encrypt(a)),
    decrypt: (a) => (counts.decrypt++, client.decrypt(a)),
  };
  const keyring = new sdk.KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => counting });
  const cmm = caching
    ? new sdk.NodeCachingMaterialsManager({
        backingMaterials: keyring,
        cache: sdk.getLocalCryptographicMaterialsCache(1000),
        maxAge: MAX_AGE_MS,
        maxMessagesEncrypted: MAX_MESSAGES,
      })
    : keyring;
  const esdk = sdk.buildClient(sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const [cts, encryptSeconds] = await timedLoop(messages, async () => (await esdk.encrypt(cmm, message, { encryptionContext: CONTEXT })).result);
  const encryptCalls = counts.generateDataKey + counts.encrypt + counts.decrypt;
  const generateDataKey = counts.generateDataKey;
  const [, decryptSeconds] = await timedLoop(messages, async (i) => (await esdk.decrypt(cmm, cts[i])).plaintext);
  client.destroy?.();
  return {
    generateDataKey,
    encryptCalls,
    decrypt: counts.decrypt,
    totalCalls: counts.generateDataKey + counts.encrypt + counts.decrypt,
    encryptSeconds,
    decryptSeconds,
  };
}

/**
 * Runs each configuration once over `messages` 1 KiB messages (counts are
 * exact, not sampled) and returns { messages, maxMessages, records }.
 */
export async function cacheEffect(Session, { sdk, KMS, messages = 1000, log = () => {} }) {
  const kms = await startServer();
  try {
    const key = await kms.admin.createKey({});
    const message = bytes(1024, 9);
    const records = [];
    const add = (library, cached, r) => {
      records.push({ library, cached, ...r });
      log(`${library} ${cached ? "with" : "without"} cache: ${r.generateDataKey} GenerateDataKey, ${r.decrypt} Decrypt per ${messages} messages`);
    };
    add("kms-envelope", false, await ours(Session, kms, key.Arn, false, messages, message));
    add("kms-envelope", true, await ours(Session, kms, key.Arn, { maxMessages: MAX_MESSAGES, maxAgeMs: MAX_AGE_MS }, messages, message));
    if (sdk) {
      add("ESDK-JS", false, await theirs(sdk, KMS, kms, key.Arn, false, messages, message));
      add("ESDK-JS", true, await theirs(sdk, KMS, kms, key.Arn, true, messages, message));
    }
    return { messages, maxMessages: MAX_MESSAGES, records };
  } finally {
    await kms.stop();
  }
}
