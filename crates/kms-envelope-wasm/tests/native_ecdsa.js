// Evaluated as a function body by tests/native_sig.rs; returns its API.
// Counts the native ECDSA calls the bindings make (node:crypto through
// process.getBuiltinModule, and crypto.subtle), and hides either API to
// test the fallbacks. Everything is undone by restore().

const counts = {
  nodeGenerate: 0, nodeSign: 0, nodeVerify: 0, nodeDecompress: 0,
  // Of those: signatures by a running hash (createSign), verifications on
  // the thread pool (with a callback).
  nodeSignHashed: 0, nodeVerifyAsync: 0, nodeVerifyHashed: 0,
  // generateKeyPairSync, which the bindings must not use (see below).
  nodeKeyPairSync: 0,
  subtleGenerate: 0, subtleSign: 0, subtleVerify: 0, subtleDecompress: 0,
};
const process = globalThis.process;
const originalGetBuiltin = process?.getBuiltinModule;
const subtle = globalThis.crypto?.subtle;
let installed = false;
let ignoreCallback = false;

function counting(target, name, counter) {
  const original = target[name];
  return function (...args) {
    counts[counter]++;
    return original.apply(target, args);
  };
}

function install() {
  if (installed) return;
  installed = true;
  if (originalGetBuiltin) {
    const real = originalGetBuiltin.call(process, "node:crypto");
    const wrapped = Object.create(real);
    // Key pairs come from ECDH: generateKeyPairSync with a JWK export
    // deadlocks Node 20 under garbage collection.
    wrapped.generateKeyPairSync = counting(real, "generateKeyPairSync", "nodeKeyPairSync");
    wrapped.createECDH = function (...args) {
      const ecdh = real.createECDH(...args);
      const generateKeys = ecdh.generateKeys;
      ecdh.generateKeys = function (...a) {
        counts.nodeGenerate++;
        return generateKeys.apply(ecdh, a);
      };
      return ecdh;
    };
    wrapped.sign = counting(real, "sign", "nodeSign");
    wrapped.verify = function (...args) {
      counts.nodeVerify++;
      if (typeof args[args.length - 1] === "function") {
        counts.nodeVerifyAsync++;
        // A polyfill that ignores the callback and answers at once.
        if (ignoreCallback) return real.verify(...args.slice(0, -1));
      }
      return real.verify(...args);
    };
    // Sign and Verify objects: their final call counted as a signature or
    // verification made by a running hash.
    const hashing = (create, method, counter, hashedCounter) =>
      function (...args) {
        const object = real[create](...args);
        const original = object[method];
        object[method] = function (...a) {
          counts[counter]++;
          counts[hashedCounter]++;
          return original.apply(object, a);
        };
        return object;
      };
    wrapped.createVerify = hashing("createVerify", "verify", "nodeVerify", "nodeVerifyHashed");
    wrapped.createSign = hashing("createSign", "sign", "nodeSign", "nodeSignHashed");
    wrapped.createPublicKey = real.createPublicKey.bind(real);
    // A class, as node:crypto's is (a function, not a plain object), with
    // its static convertKey counted.
    wrapped.ECDH = function ECDH(...args) {
      return new real.ECDH(...args);
    };
    Object.setPrototypeOf(wrapped.ECDH, real.ECDH);
    wrapped.ECDH.convertKey = counting(real.ECDH, "convertKey", "nodeDecompress");
    Object.defineProperty(process, "getBuiltinModule", {
      configurable: true,
      writable: true,
      value: (name) => (name === "node:crypto" ? wrapped : originalGetBuiltin.call(process, name)),
    });
  }
  if (subtle) {
    for (const [name, counter] of [["generateKey", "subtleGenerate"], ["sign", "subtleSign"], ["verify", "subtleVerify"]]) {
      Object.defineProperty(subtle, name, { configurable: true, writable: true, value: counting(subtle, name, counter) });
    }
    // A raw export is the decompression of a public key (generation
    // exports JWK).
    const exportKey = subtle.exportKey;
    Object.defineProperty(subtle, "exportKey", {
      configurable: true,
      writable: true,
      value: async function (format, key) {
        const out = await exportKey.call(subtle, format, key);
        if (format === "raw") counts.subtleDecompress++;
        return out;
      },
    });
  }
}

return {
  // Starts counting (idempotent) and zeroes the counters.
  reset() {
    install();
    for (const k of Object.keys(counts)) counts[k] = 0;
  },
  counts() {
    return {
      ...counts,
      sign: counts.nodeSign + counts.subtleSign,
      verify: counts.nodeVerify + counts.subtleVerify,
      generate: counts.nodeGenerate + counts.subtleGenerate,
      decompress: counts.nodeDecompress + counts.subtleDecompress,
    };
  },
  // Makes node:crypto's verify ignore its callback and return the answer
  // (until restore()).
  ignoreVerifyCallback() {
    ignoreCallback = true;
  },
  hasNode() {
    return typeof originalGetBuiltin === "function";
  },
  // Hides node:crypto (process.getBuiltinModule); with `subtleToo`, also
  // crypto.subtle.
  hide(subtleToo) {
    if (process && originalGetBuiltin) {
      Object.defineProperty(process, "getBuiltinModule", { configurable: true, writable: true, value: undefined });
    }
    if (subtleToo && subtle) {
      Object.defineProperty(globalThis.crypto, "subtle", { configurable: true, value: undefined });
    }
  },
  // Undoes hide() and the counting wrappers.
  restore() {
    if (process && originalGetBuiltin) {
      Object.defineProperty(process, "getBuiltinModule", { configurable: true, writable: true, value: originalGetBuiltin });
    }
    if (globalThis.crypto && Object.getOwnPropertyDescriptor(globalThis.crypto, "subtle")) {
      delete globalThis.crypto.subtle;
    }
    if (subtle) {
      for (const name of ["generateKey", "sign", "verify", "exportKey"]) delete subtle[name];
    }
    installed = false;
    ignoreCallback = false;
  },
};
