// The client measurements, shared by Node (node.mjs) and Chromium (the
// Vite page in browser/), so both runtimes run exactly the same loops.
//
// A "library" is { name, suites: [ids] | null, open(suite, frameLength) ->
// Promise<{ encrypt(bytes) -> Promise<bytes>, decrypt(bytes) -> Promise<bytes> }> }.
// `suites: null` marks a peer that has no algorithm suite (raw WebCrypto
// AES-256-GCM): it is measured once and compared with every suite.

/** Frame length of the framed messages in the benchmark (both libraries). */
export const FRAME_LENGTH = 64 * 1024;
/**
 * The frame length both libraries use when none is given (the ESDK's
 * default, and kms-envelope's): the 16 MiB figures are measured at it too,
 * as that is what an application gets unless it asks for more.
 */
export const DEFAULT_FRAME_LENGTH = 4096;
/** The suffix of the metrics measured at the default frame length. */
const DEFAULT_FRAMES = ", 4 KiB frames";
/** The algorithm suites compared. */
export const SUITES = [0x0478, 0x0578];
/** The bulk size. */
export const BULK = 16 * 1024 * 1024;
/** The small-message size. */
export const SMALL = 1024;
/** At most this many 1 KiB ciphertexts are kept for the decrypt loop. */
const SMALL_CAP = 100_000;
/** The wrapping key every keyring uses (a benchmark key, not a secret). */
export const WRAPPING_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
/** Raw AES keyring names, identical in both libraries so each reads the other's messages. */
export const KEY_NAMESPACE = "kms-envelope-bench";
export const KEY_NAME = "aes-256";

/** Deterministic bytes (cheap to build, not all-zero). */
export function bytes(length, seed = 1) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
    out[i + 1] = x >>> 8;
    out[i + 2] = x >>> 16;
    out[i + 3] = x >>> 24;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const hex = (suite) => (suite == null ? null : `0x${suite.toString(16).padStart(4, "0")}`);

/** The kms-envelope npm package: a Session with the raw AES keyring, no cache. */
export function kmsEnvelope(Session) {
  return {
    name: "kms-envelope",
    suites: SUITES,
    async open(suite, frameLength = FRAME_LENGTH) {
      const session = new Session({
        keyring: { type: "raw-aes", keyNamespace: KEY_NAMESPACE, keyName: KEY_NAME, wrappingKey: WRAPPING_KEY },
        cache: false,
        suite,
        frameLength,
      });
      return {
        encrypt: async (pt) => (await session.encrypt(pt)).ciphertext,
        decrypt: async (ct) => (await session.decrypt(ct)).plaintext,
        stream: async (source, plaintextLength) =>
          session.decryptStream(await session.encryptStream(source, { plaintextLength })),
      };
    },
  };
}

/** Raw WebCrypto AES-256-GCM over the same bytes: one call per message, no format. */
export function webCrypto(subtle = globalThis.crypto.subtle) {
  return {
    name: "WebCrypto",
    suites: null,
    async open() {
      const key = await subtle.importKey("raw", WRAPPING_KEY, "AES-GCM", false, ["encrypt", "decrypt"]);
      const seal = async (pt) => {
        const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
        const ct = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv }, key, pt));
        const out = new Uint8Array(12 + ct.length);
        out.set(iv);
        out.set(ct, 12);
        return out;
      };
      const open = async (ct) =>
        new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: ct.subarray(0, 12) }, key, ct.subarray(12)));
      return {
        encrypt: seal,
        decrypt: open,
        // The stream peer: each 64 KiB chunk sealed and opened on its own
        // (no framing, no message: the floor of what a stream costs).
        stream: (source) =>
          source.pipeThrough(
            new TransformStream({
              async transform(chunk, controller) {
                for (let at = 0; at < chunk.length; at += FRAME_LENGTH) {
                  controller.enqueue(await open(await seal(chunk.subarray(at, at + FRAME_LENGTH))));
                }
              },
            }),
          ),
      };
    },
  };
}

/**
 * Collects garbage, where the runtime lets us (node --expose-gc, Chromium
 * --js-flags=--expose-gc), so that no library pays for another's garbage:
 * interleaved in one page, the ESDK's buffers made kms-envelope's
 * encrypt+decrypt vary from 82 to 223 MB/s; alone it held 203-248.
 */
const collect = globalThis.gc ?? (() => {});

/** Seconds of a promise-returning call, after a collection. */
async function timed(f) {
  collect();
  const start = performance.now();
  const value = await f();
  return [(performance.now() - start) / 1000, value];
}

/**
 * Every client figure for every library and suite: `runs` samples each,
 * libraries interleaved within each run so that machine noise spreads over
 * all of them. Returns records { library, suite, metric, unit, runs }.
 */
export async function measure(libraries, { runs = 5, messageSeconds = 1, log = () => {} } = {}) {
  const bulk = bytes(BULK, 7);
  const small = bytes(SMALL, 11);
  const subjects = [];
  for (const lib of libraries) {
    for (const suite of lib.suites ?? [null]) {
      const client = await lib.open(suite);
      // The same library at the default frame length (a peer without
      // frames, raw WebCrypto, has only the one figure).
      const framed = lib.suites ? await lib.open(suite, DEFAULT_FRAME_LENGTH) : null;
      // Correct before fast: one full round trip of each size.
      for (const c of framed ? [client, framed] : [client]) {
        const back = await c.decrypt(await c.encrypt(bulk));
        if (!equalBytes(back, bulk)) throw new Error(`${lib.name} ${hex(suite)}: 16 MiB round trip differs`);
      }
      if (!equalBytes(await client.decrypt(await client.encrypt(small)), small))
        throw new Error(`${lib.name} ${hex(suite)}: 1 KiB round trip differs`);
      // Samples of encrypts, decrypts and both, for each kind of figure.
      const triple = () => ({ encrypt: [], decrypt: [], both: [] });
      subjects.push({ lib, suite, client, framed, samples: { ...triple(), small: triple(), framed: triple() } });
    }
  }
  // Encrypt, decrypt, and both in one go, of the 16 MiB input.
  const bulkRun = async (client, samples, name) => {
    const [te, ct] = await timed(() => client.encrypt(bulk));
    const [td, pt] = await timed(() => client.decrypt(ct));
    if (pt.length !== bulk.length) throw new Error(`${name}: short plaintext`);
    const [tb] = await timed(async () => client.decrypt(await client.encrypt(bulk)));
    samples.encrypt.push(BULK / te);
    samples.decrypt.push(BULK / td);
    samples.both.push(BULK / tb);
    return tb;
  };
  // 1 KiB messages per second: encrypts alone (the figure for the
  // SDK), then decrypts of those ciphertexts, then round trips, each for
  // `messageSeconds` (at least 3 messages, at most SMALL_CAP ciphertexts
  // kept).
  const loop = async (step) => {
    let messages = 0;
    collect();
    const start = performance.now();
    const until = start + messageSeconds * 1000;
    while (messages < 3 || (performance.now() < until && messages < SMALL_CAP)) await step(messages++);
    return messages / ((performance.now() - start) / 1000);
  };
  const smallRun = async (client, samples) => {
    const cts = [];
    samples.encrypt.push(await loop(async () => cts.push(await client.encrypt(small))));
    samples.decrypt.push(await loop(async (i) => {
      if ((await client.decrypt(cts[i % cts.length])).length !== SMALL) throw new Error("short 1 KiB plaintext");
    }));
    cts.length = 0;
    samples.both.push(await loop(async () => client.decrypt(await client.encrypt(small))));
  };
  for (let run = 0; run < runs; run++) {
    for (const s of subjects) {
      const tb = await bulkRun(s.client, s.samples, s.lib.name);
      if (s.framed) await bulkRun(s.framed, s.samples.framed, s.lib.name);
      await smallRun(s.client, s.samples.small);
      const framed = s.framed ? `, ${(s.samples.framed.both.at(-1) / 1e6).toFixed(0)} MB/s both with ${DEFAULT_FRAME_LENGTH}-byte frames` : "";
      const small = s.samples.small;
      log(
        `run ${run + 1}/${runs} ${s.lib.name} ${hex(s.suite) ?? ""}: ${(BULK / tb / 1e6).toFixed(0)} MB/s both${framed}, ` +
          `1 KiB: ${small.encrypt.at(-1).toFixed(0)} encrypt/s, ${small.decrypt.at(-1).toFixed(0)} decrypt/s, ${small.both.at(-1).toFixed(0)} both/s`,
      );
    }
  }
  const records = [];
  for (const s of subjects) {
    const base = { library: s.lib.name, suite: hex(s.suite) };
    // One record per operation of a triple; `metric` names it from the
    // operation ("encrypt", "decrypt", "encrypt+decrypt").
    const tripleRecords = (samples, metric, unit) => {
      for (const [op, runs] of [["encrypt", samples.encrypt], ["decrypt", samples.decrypt], ["encrypt+decrypt", samples.both]])
        records.push({ ...base, metric: metric(op), unit, runs });
    };
    tripleRecords(s.samples, (op) => `${op} 16 MiB`, "B/s");
    tripleRecords(s.samples.small, (op) => `1 KiB ${op}`, "msg/s");
    if (s.framed) tripleRecords(s.samples.framed, (op) => `${op} 16 MiB${DEFAULT_FRAMES}`, "B/s");
  }
  return records;
}

/**
 * The honesty check: each library decrypts what the other encrypted, for
 * every suite both support. Returns [{ from, to, suite, ok }].
 */
export async function crossCheck(a, b) {
  const out = [];
  const message = bytes(200_000, 5);
  for (const suite of a.suites.filter((s) => b.suites.includes(s))) {
    const ca = await a.open(suite);
    const cb = await b.open(suite);
    for (const [from, to, x, y] of [[a, b, ca, cb], [b, a, cb, ca]]) {
      let ok = false;
      try {
        ok = equalBytes(await y.decrypt(await x.encrypt(message)), message);
      } catch (e) {
        out.push({ from: from.name, to: to.name, suite: hex(suite), ok, error: String(e) });
        continue;
      }
      out.push({ from: from.name, to: to.name, suite: hex(suite), ok });
    }
  }
  return out;
}

/** A ReadableStream of `total` deterministic bytes in 1 MiB chunks. */
export function source(total) {
  const chunk = bytes(1024 * 1024, 3);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      controller.enqueue(chunk.slice(0, n));
    },
  });
}

/**
 * Encrypts and decrypts `total` bytes through `lib`'s stream (Web Streams)
 * and checks length and a sparse checksum; returns seconds.
 */
export async function streamThrough(lib, suite, total) {
  const client = await lib.open(suite);
  const chunk = bytes(1024 * 1024, 3);
  const start = performance.now();
  const reader = (await client.stream(source(total), total)).getReader();
  let seen = 0;
  let sum = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = (4096 - (seen % 4096)) % 4096; i < value.length; i += 4096) sum = (sum + value[i]) >>> 0;
    seen += value.length;
  }
  const seconds = (performance.now() - start) / 1000;
  let expected = 0;
  for (let at = 0; at < total; at += 4096) expected = (expected + chunk[at % chunk.length]) >>> 0;
  if (seen !== total || sum !== expected) throw new Error(`${lib.name}: stream output differs (${seen} bytes)`);
  return seconds;
}
