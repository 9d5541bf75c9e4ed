// The page the Chromium benchmarks run on (built by Vite): the same loops
// as in Node (lib/client.mjs), with the browser build of the AWS Encryption
// SDK for JavaScript, which has no streaming API.
import "./buffer-global.js";
import init, { Session } from "kms-envelope";
import * as sdk from "@aws-crypto/client-browser";

import { KEY_NAME, KEY_NAMESPACE, WRAPPING_KEY, crossCheck, kmsEnvelope, measure, streamThrough, webCrypto } from "../../lib/client.mjs";
import { esdk } from "../../lib/esdk.mjs";

const keyring = async () => {
  const wrappingSuite = sdk.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING;
  return new sdk.RawAesKeyringWebCrypto({
    keyNamespace: KEY_NAMESPACE,
    keyName: KEY_NAME,
    wrappingSuite,
    masterKey: await sdk.RawAesKeyringWebCrypto.importCryptoKey(WRAPPING_KEY, wrappingSuite),
  });
};

const libraries = () => [kmsEnvelope(Session), esdk("ESDK-JS", sdk, keyring), webCrypto()];
const log = [];

window.bench = {
  async client({ runs, messageSeconds }) {
    const [ours, peer] = libraries();
    const cross = await crossCheck(ours, peer);
    const records = await measure(libraries(), { runs, messageSeconds, log: (l) => log.push(l) });
    return { crossCheck: cross, records, log };
  },
  /** Libraries with a stream API, as [name, suites|null]. */
  streams: () => libraries().filter((l) => l.name !== "ESDK-JS").map((l) => [l.name, l.suites]),
  async stream(name, suite, total) {
    const lib = libraries().find((l) => l.name === name);
    return streamThrough(lib, suite, total);
  },
};

await init();
document.getElementById("status").textContent = "ready";
