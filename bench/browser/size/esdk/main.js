// What an application needs to encrypt and decrypt with the browser SDK and
// a raw AES keyring: the bundle measured for the size comparison.
import "../../page/buffer-global.js";
import { buildClient, CommitmentPolicy, RawAesKeyringWebCrypto, RawAesWrappingSuiteIdentifier } from "@aws-crypto/client-browser";

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
window.sdk = { encrypt, decrypt, RawAesKeyringWebCrypto, RawAesWrappingSuiteIdentifier };
