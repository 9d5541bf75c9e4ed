// Bounded load check, not part of the test run: N signed (0x0578) 1 KiB
// round trips through one session, with a forced garbage collection every
// 100, failing if they stop making progress for 120 s. It is how the
// README's check of the WebCrypto key-pair path (Node before 20.16) was
// made. After `cargo xtask test --only pkg-tests`, from target/pkg-tests:
//
//   KMS_SERVER_BIN=../debug/kms-server \
//     node_modules/node-20.0.0/bin/node --expose-gc node/signed-round-trips.mjs 2200
import { Session } from "kms-envelope";
import { startServer } from "../lib/kms.mjs";

const n = Number(process.argv[2] ?? 2200);
const server = await startServer();
const key = await server.admin.createKey({ Description: "signed round trips" });
const session = new Session({
  region: server.region,
  endpoint: server.endpoint,
  credentials: server.credentials,
  keyring: { type: "kms", generatorKeyId: key.Arn },
});
let done = 0;
let stalled = setTimeout(hung, 120_000);
function hung() {
  console.error(`no progress for 120 s after ${done} round trips`);
  process.exit(2);
}
const start = Date.now();
for (let i = 0; i < n; i++) {
  const enc = await session.encrypt(new Uint8Array(1024).fill(i & 0xff), {
    suite: 0x0578,
    encryptionContext: { i: String(i) },
  });
  const dec = await session.decrypt(enc.ciphertext, { encryptionContext: { i: String(i) } });
  if (dec.plaintext.length !== 1024 || dec.plaintext[0] !== (i & 0xff)) throw new Error(`round trip ${i} changed the plaintext`);
  done++;
  clearTimeout(stalled);
  stalled = setTimeout(hung, 120_000);
  if (i % 100 === 0) globalThis.gc?.();
}
clearTimeout(stalled);
console.log(`Node ${process.version}: ${done} signed round trips in ${Date.now() - start} ms`);
await server.stop();
