// The AWS Encryption SDK for JavaScript as a benchmark library: the raw
// AES keyring with the same key, names, suite and frame length as
// kms-envelope's, commitment policy REQUIRE_ENCRYPT_REQUIRE_DECRYPT (the
// default of both). `sdk` is @aws-crypto/client-node or
// @aws-crypto/client-browser; `keyring(suite)` builds its raw AES keyring.
import { FRAME_LENGTH, SUITES } from "./client.mjs";

export function esdk(name, sdk, keyring, stream = null) {
  const client = sdk.buildClient(sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  return {
    name,
    suites: SUITES,
    async open(suite, frameLength = FRAME_LENGTH) {
      const ring = await keyring();
      return {
        encrypt: async (pt) => {
          const { result } = await client.encrypt(ring, pt, { suiteId: suite, frameLength });
          return result;
        },
        decrypt: async (ct) => (await client.decrypt(ring, ct)).plaintext,
        stream: stream && ((source) => stream(client, ring, suite, source)),
      };
    },
  };
}
