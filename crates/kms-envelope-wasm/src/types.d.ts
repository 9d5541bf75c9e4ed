/** AWS credentials used to sign KMS requests. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A key ring description; see the README for each type. */
export type KeyringConfig =
  | { type: "kms"; generatorKeyId?: string; keyIds?: string[]; grantTokens?: string[] }
  | { type: "kms-mrk"; generatorKeyId?: string; keyIds?: string[]; grantTokens?: string[] }
  | { type: "kms-discovery" | "kms-mrk-discovery"; region?: string; discoveryFilter?: { partition: string; accountIds: string[] }; grantTokens?: string[] }
  | { type: "kms-rsa"; keyId: string; encryptionAlgorithm?: "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256"; publicKey?: Uint8Array | string; grantTokens?: string[] }
  | { type: "raw-aes"; keyNamespace: string; keyName: string; wrappingKey: Uint8Array }
  | { type: "raw-rsa"; keyNamespace: string; keyName: string; padding?: "OAEP_SHA1" | "OAEP_SHA256" | "OAEP_SHA384" | "OAEP_SHA512" | "PKCS1"; privateKey?: Uint8Array | string; publicKey?: Uint8Array | string }
  | { type: "multi"; generator?: KeyringConfig; children?: KeyringConfig[] };

/** The data-key cache of a session. */
export interface CacheConfig {
  capacity?: number;
  maxAgeMs?: number;
  maxMessages?: number;
  maxBytes?: number;
  partitionId?: string;
}

export type CommitmentPolicy =
  | "REQUIRE_ENCRYPT_REQUIRE_DECRYPT"
  | "REQUIRE_ENCRYPT_ALLOW_DECRYPT"
  | "FORBID_ENCRYPT_ALLOW_DECRYPT";

/** Everything a session needs. `region` and `credentials` enable KMS. */
export interface SessionConfig {
  keyring: KeyringConfig;
  region?: string;
  /** A custom endpoint such as kms-server's; AWS's regional endpoint otherwise. */
  endpoint?: string;
  credentials?: Credentials | (() => Credentials | Promise<Credentials>);
  cache?: CacheConfig | false;
  suite?: number | string;
  frameLength?: number;
  commitmentPolicy?: CommitmentPolicy;
  maxEncryptedDataKeys?: number;
  /** Milliseconds per KMS request attempt (default 10,000). */
  timeoutMs?: number;
  /** Attempts per KMS call, retries included (default 3). */
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

export interface EncryptOptions {
  encryptionContext?: Record<string, string>;
  suite?: number | string;
  frameLength?: number;
  commitmentPolicy?: CommitmentPolicy;
  maxEncryptedDataKeys?: number;
  /** An upper bound of the plaintext length (lets streams use the cache). */
  plaintextLength?: number;
}

export interface EncryptStreamOptions extends EncryptOptions {
  /** Called with the plaintext bytes consumed so far. */
  onProgress?: (bytes: number) => void;
}

export interface DecryptOptions {
  /** Pairs that must be in the message's encryption context. */
  encryptionContext?: Record<string, string>;
  commitmentPolicy?: CommitmentPolicy;
  maxEncryptedDataKeys?: number;
  maxBodySize?: number;
}

export interface DecryptStreamOptions extends DecryptOptions {
  /** Called with the ciphertext bytes consumed so far. */
  onProgress?: (bytes: number) => void;
  /** Called once the header is parsed, before any KMS call. */
  onHeader?: (header: { algorithmSuite: string; encryptionContext: Record<string, string>; keyIds: string[]; frameLength: number }) => void;
  /**
   * Signed suites only: release each frame once its own AES-GCM tag
   * verifies instead of holding the whole plaintext until the footer's
   * signature does (default false). Memory then stays flat, but a message
   * whose signature fails errors the stream after its frames were read:
   * discard everything read from a stream that errors.
   */
  releaseUnverifiedPlaintext?: boolean;
}

export interface EncryptResult {
  ciphertext: Uint8Array;
  encryptionContext: Record<string, string>;
  algorithmSuite: string;
  /** The keys that wrapped the data key: KMS key ARNs, or `namespace/name` for raw keys. */
  keyIds: string[];
}

export interface DecryptResult {
  plaintext: Uint8Array;
  encryptionContext: Record<string, string>;
  algorithmSuite: string;
  /**
   * The wrapping key that decrypted the data key (one entry): a KMS key
   * ARN, or `namespace/name` for raw keys.
   */
  keyIds: string[];
}

export type SigningAlgorithm =
  | "ECDSA_SHA_256" | "ECDSA_SHA_384" | "ECDSA_SHA_512"
  | "RSASSA_PSS_SHA_256" | "RSASSA_PSS_SHA_384" | "RSASSA_PSS_SHA_512"
  | "RSASSA_PKCS1_V1_5_SHA_256" | "RSASSA_PKCS1_V1_5_SHA_384" | "RSASSA_PKCS1_V1_5_SHA_512"
  | "ED25519_SHA_512" | "ED25519_PH_SHA_512" | "ML_DSA_SHAKE_256" | "SM2DSA";

export interface VerifyRequest {
  keyId?: string;
  message: Uint8Array | string;
  signature: Uint8Array;
  /**
   * A KMS `SigningAlgorithmSpec`: ECDSA_SHA_256/384/512,
   * RSASSA_PSS_SHA_256/384/512, RSASSA_PKCS1_V1_5_SHA_256/384/512,
   * ED25519_SHA_512, ED25519_PH_SHA_512, ML_DSA_SHAKE_256 or SM2DSA (SM2
   * keys, KMS's China Regions). Any other
   * string is an `InvalidArgument` error (a string typed at run time, such
   * as a key's `SigningAlgorithms` entry, type-checks as it did before).
   */
  signingAlgorithm: SigningAlgorithm | (string & {});
  /**
   * As KMS `Sign` took it (default RAW). ED25519_SHA_512 takes RAW only,
   * ED25519_PH_SHA_512 DIGEST only (a SHA-512 digest), ML_DSA_SHAKE_256
   * RAW or EXTERNAL_MU (FIPS 204's 64-byte mu). SM2DSA's DIGEST is
   * SM3(Z || message), Z made with the distinguishing ID 1234567812345678,
   * as KMS `Sign` takes it (`sm2Digest` computes it); RAW hashes that way
   * here. A signature made over a digest with another distinguishing ID
   * verifies as that DIGEST (`sm2Digest`'s third argument).
   */
  messageType?: "RAW" | "DIGEST" | "EXTERNAL_MU";
  /** A DER SubjectPublicKeyInfo, instead of GetPublicKey. */
  publicKey?: Uint8Array;
}

export interface VerifyResult {
  valid: boolean;
  keyId: string;
}

export interface SessionStats {
  kmsCalls: { generateDataKey: number; encrypt: number; decrypt: number; getPublicKey: number; total: number; retries: number };
  dataKeyCache: { hits: number; misses: number; bypassed: number; entries: number; evictions: number } | null;
  publicKeyCache: { hits: number; misses: number };
  /** Frames sealed or opened by the runtime's AES-GCM: node:crypto (Node 20.16+, Deno, Workers with nodejs_compat) or WebCrypto; the rest ran in wasm. */
  platformAesFrames: { nodeCrypto: number; webCrypto: number };
}

export interface MessageHeader {
  formatVersion: number;
  algorithmSuite: string;
  messageId: string;
  encryptionContext: Record<string, string>;
  encryptedDataKeys: { providerId: string; providerInfo: Uint8Array; keyId: string; ciphertextLength: number }[];
  contentType: "framed" | "non-framed";
  frameLength: number;
  headerLength: number;
  signed: boolean;
}

/**
 * The digest KMS `Sign` takes for an SM2 key with `MessageType: "DIGEST"`:
 * SM3(Z || message), where Z hashes the key, the curve and a distinguishing
 * ID, by default the one KMS signs RAW messages with (`1234567812345678`),
 * else `distinguishingId` (a string, as UTF-8, or bytes; at most 8,191
 * bytes), whose signatures then verify as this DIGEST. KMS signs at most
 * 4,096 bytes as RAW, and JavaScript runtimes have no SM3: this is how
 * larger messages get signed. Throws `InvalidKey` for a key that is not DER
 * SubjectPublicKeyInfo, `InvalidArgument` for one that is not SM2 or an ID
 * that is too long.
 */
export function sm2Digest(
  publicKey: ArrayBufferView | ArrayBuffer,
  message: ArrayBufferView | ArrayBuffer | string,
  distinguishingId?: string | ArrayBufferView | ArrayBuffer | null,
): Uint8Array;

/** Every error thrown or rejected by this package. */
export interface KmsEnvelopeError extends Error {
  name: "KmsEnvelopeError";
  /** A stable code: InvalidCiphertext, AccessDenied, Throttling, NotFound, KeyUnavailable, EncryptionContextMismatch, LimitExceeded, InvalidArgument, KmsUnreachable (no answer from KMS after the retries: network failure, timeout), External (a credential provider that threw, an invalid endpoint), UnsupportedSuite (a signed suite in a build without ECDSA), ... */
  code: string;
}
