//! Footer signatures made and checked outside the core (as a platform's
//! native ECDSA does for the wasm bindings). The "platform" here is the
//! `ecdsa` crate's own message interface (it hashes the message itself, as
//! node:crypto and WebCrypto do, and speaks r || s), with keys it generated:
//! its messages must decrypt on the core's pure path and the reverse, and a
//! tampered message must fail with the pure path's error.

// Uses signed suites: the ECDSA build only.
#![cfg(feature = "ecdsa")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::policy_for;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ecdsa::signature::{Signer as _, Verifier as _};
use elliptic_curve::Generate as _;
use kms_envelope::cmm::{CachingMaterialsManager, DefaultMaterialsManager, MaterialsManager};
use kms_envelope::detached_signature::{SignatureToVerify, SignatureVerdict};
use kms_envelope::keyring::RawAesKeyring;
use kms_envelope::signing::{SignatureKeys, SigningKey, VerificationKey};
use kms_envelope::suite::SignatureAlgorithm;
use kms_envelope::{
    AlgorithmSuiteId, BodyDecryptor, DecryptOptions, EncryptOptions, EncryptionContext, Encryptor,
    Error, ErrorCode, HeaderReader, LocalBoxFuture, ReadHeader, decrypt, encrypt,
};
use pollster::block_on;

const SIGNED: [AlgorithmSuiteId; 4] = [
    AlgorithmSuiteId::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
    AlgorithmSuiteId::Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
    AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
    AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
];

/// A platform's private key, kept beside the core's [`SigningKey`] as a
/// binding keeps its native key.
#[derive(Clone)]
enum PlatformKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// The platform's keys by compressed public key.
type PlatformKeys = Vec<(Vec<u8>, PlatformKey)>;

/// Generates pairs "on the platform" and hands them to the core as
/// external pairs; remembers them by compressed public key.
#[derive(Clone, Default)]
struct PlatformGenerator {
    keys: Rc<RefCell<PlatformKeys>>,
    /// Generate keys of this algorithm whatever is asked (a broken one).
    wrong_curve: Option<SignatureAlgorithm>,
    /// Public keys the platform decompressed.
    decompressed: Rc<std::cell::Cell<usize>>,
}

/// The platform's point decompression: the uncompressed form.
fn platform_decompress(alg: SignatureAlgorithm, compressed: &[u8]) -> Option<Vec<u8>> {
    Some(match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(compressed)
                .ok()?
                .to_sec1_point(false)
                .as_bytes()
                .to_vec()
        }
        SignatureAlgorithm::EcdsaP384Sha384 => {
            p384::ecdsa::VerifyingKey::from_sec1_bytes(compressed)
                .ok()?
                .to_sec1_point(false)
                .as_bytes()
                .to_vec()
        }
    })
}

impl PlatformGenerator {
    fn key_for(&self, key: &SigningKey) -> Option<PlatformKey> {
        let public = key.public_key_sec1();
        self.keys
            .borrow()
            .iter()
            .find(|(p, _)| *p == public)
            .map(|(_, k)| k.clone())
    }
}

impl SignatureKeys for PlatformGenerator {
    fn generate<'a>(
        &'a self,
        alg: SignatureAlgorithm,
    ) -> LocalBoxFuture<'a, Result<SigningKey, Error>> {
        Box::pin(async move {
            let mut rng = rand_core::UnwrapErr(kms_envelope::random::rng());
            let (key, platform) = match self.wrong_curve.unwrap_or(alg) {
                SignatureAlgorithm::EcdsaP256Sha256 => {
                    let k = p256::ecdsa::SigningKey::generate_from_rng(&mut rng);
                    let public = k.verifying_key().to_sec1_point(false);
                    let key = SigningKey::from_external_pair(
                        SignatureAlgorithm::EcdsaP256Sha256,
                        &k.to_bytes(),
                        public.as_bytes(),
                    )?;
                    (key, PlatformKey::P256(k))
                }
                SignatureAlgorithm::EcdsaP384Sha384 => {
                    let k = p384::ecdsa::SigningKey::generate_from_rng(&mut rng);
                    let public = k.verifying_key().to_sec1_point(false);
                    let key = SigningKey::from_external_pair(
                        SignatureAlgorithm::EcdsaP384Sha384,
                        &k.to_bytes(),
                        public.as_bytes(),
                    )?;
                    (key, PlatformKey::P384(k))
                }
            };
            self.keys
                .borrow_mut()
                .push((key.public_key_sec1(), platform));
            Ok(key)
        })
    }

    fn verification_key<'a>(
        &'a self,
        alg: SignatureAlgorithm,
        b64: &'a str,
    ) -> LocalBoxFuture<'a, Result<VerificationKey, Error>> {
        Box::pin(async move {
            use base64::Engine as _;
            let compressed = base64::engine::general_purpose::STANDARD.decode(b64).ok();
            let decompressed = compressed.as_deref().and_then(|c| {
                let u = platform_decompress(alg, c)?;
                VerificationKey::from_decompressed(alg, c, &u)
            });
            match decompressed {
                Some(key) => {
                    self.decompressed.set(self.decompressed.get() + 1);
                    Ok(key)
                }
                None => VerificationKey::from_base64(alg, b64),
            }
        })
    }
}

/// The platform's sign: hashes `message` itself, answers r || s.
fn platform_sign(key: &PlatformKey, message: &[u8]) -> Vec<u8> {
    match key {
        PlatformKey::P256(k) => {
            let s: p256::ecdsa::Signature = k.sign(message);
            s.to_bytes().to_vec()
        }
        PlatformKey::P384(k) => {
            let s: p384::ecdsa::Signature = k.sign(message);
            s.to_bytes().to_vec()
        }
    }
}

/// The platform's verify: imports the uncompressed point, hashes `message`.
fn platform_verify(to_verify: &SignatureToVerify, message: &[u8]) -> bool {
    let point = to_verify.verification_key().to_sec1_uncompressed();
    let Some(fixed) = to_verify.fixed_signature() else {
        return false;
    };
    let Ok(signed) = to_verify.signed_bytes(message) else {
        return false;
    };
    match to_verify.algorithm() {
        SignatureAlgorithm::EcdsaP256Sha256 => {
            let k = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
            let s = p256::ecdsa::Signature::from_slice(&fixed).unwrap();
            k.verify(signed, &s).is_ok()
        }
        SignatureAlgorithm::EcdsaP384Sha384 => {
            let k = p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
            let s = p384::ecdsa::Signature::from_slice(&fixed).unwrap();
            k.verify(signed, &s).is_ok()
        }
    }
}

fn context() -> EncryptionContext {
    EncryptionContext::from_caller([("purpose", "detached-signature")]).unwrap()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 29 % 253) as u8).collect()
}

fn manager(generator: &PlatformGenerator) -> DefaultMaterialsManager {
    let keyring = RawAesKeyring::new("ns", "detached-sig", &[9u8; 32]).unwrap();
    DefaultMaterialsManager::new(keyring).with_signature_keys(generator.clone())
}

fn encrypt_options(suite: AlgorithmSuiteId) -> EncryptOptions {
    let mut o = EncryptOptions::default()
        .with_suite(suite)
        .with_frame_length(100)
        .with_commitment_policy(policy_for(suite));
    // A known bound lets the caching manager cache.
    o.plaintext_length_bound = Some(4096);
    o
}

fn decrypt_options(suite: AlgorithmSuiteId) -> DecryptOptions {
    DecryptOptions::default().with_commitment_policy(policy_for(suite))
}

/// Encrypts with the footer signed by the platform (or, with `platform`
/// false, by the core's fallback of the same detached API).
fn detached_encrypt<M: MaterialsManager>(
    m: &M,
    generator: &PlatformGenerator,
    suite: AlgorithmSuiteId,
    data: &[u8],
    platform: bool,
) -> Vec<u8> {
    let mut enc = block_on(Encryptor::new(m, &context(), &encrypt_options(suite))).unwrap();
    enc.detach_signature().unwrap();
    let mut out = Vec::new();
    for piece in data.chunks(77) {
        enc.update(piece, &mut out).unwrap();
    }
    let footer = enc.finish_to_sign(&mut out).unwrap();
    assert_eq!(footer.signed_len(), out.len() as u64);
    if platform {
        let key = generator.key_for(footer.signing_key()).unwrap();
        let signature = platform_sign(&key, footer.signed_bytes(&out).unwrap());
        footer.complete(&signature, &mut out).unwrap();
    } else {
        footer.sign_in_crate(&mut out).unwrap();
    }
    out
}

fn body_decryptor<M: MaterialsManager>(
    m: &M,
    suite: AlgorithmSuiteId,
    message: &[u8],
) -> Result<(BodyDecryptor, usize), Error> {
    let mut rest = message;
    let parsed = match HeaderReader::new(decrypt_options(suite)).read(&mut rest)? {
        ReadHeader::Parsed(p) => p,
        ReadHeader::NeedMore(_) => return Err(Error::TruncatedMessage),
    };
    let header_len = message.len() - rest.len();
    Ok((block_on(parsed.obtain_materials(m))?, header_len))
}

/// Decrypts with the signature checked by `check` (the platform, or the
/// core's fallback); asserts nothing is released before the verdict.
fn detached_decrypt<M: MaterialsManager>(
    m: &M,
    suite: AlgorithmSuiteId,
    message: &[u8],
    check: impl FnOnce(SignatureToVerify, &[u8]) -> SignatureVerdict,
) -> Result<Vec<u8>, Error> {
    let (mut body, header_len) = body_decryptor(m, suite, message)?;
    body.detach_signature()?;
    let mut out = Vec::new();
    for piece in message[header_len..].chunks(50) {
        body.update(piece, &mut out)?;
        assert!(out.is_empty(), "plaintext released before the signature");
    }
    let to_verify = body.take_signature_to_verify()?;
    let verdict = check(to_verify, message);
    body.finish_verified(verdict, &mut out)?;
    Ok(out)
}

fn by_platform(to_verify: SignatureToVerify, message: &[u8]) -> SignatureVerdict {
    let valid = platform_verify(&to_verify, message);
    to_verify.verdict(valid)
}

fn in_crate(to_verify: SignatureToVerify, message: &[u8]) -> SignatureVerdict {
    to_verify.verify_in_crate(message)
}

#[test]
fn platform_signed_messages_decrypt_on_the_pure_path_and_the_reverse() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    for suite in SIGNED {
        for len in [0, 1, 100, 1024] {
            let data = plaintext(len);
            // Platform signs, pure path verifies.
            let message = detached_encrypt(&m, &generator, suite, &data, true);
            let opened = block_on(decrypt(&m, &message, &decrypt_options(suite))).unwrap();
            assert_eq!(opened.plaintext, data, "{suite:?} {len}");
            // ... and so does the platform, and the core's detached fallback.
            assert_eq!(
                detached_decrypt(&m, suite, &message, by_platform).unwrap(),
                data
            );
            assert_eq!(
                detached_decrypt(&m, suite, &message, in_crate).unwrap(),
                data
            );
            // Pure path signs, platform verifies.
            let message = block_on(encrypt(&m, &data, &context(), &encrypt_options(suite)))
                .unwrap()
                .ciphertext;
            assert_eq!(
                detached_decrypt(&m, suite, &message, by_platform).unwrap(),
                data
            );
            // The core's fallback signer of the detached API.
            let message = detached_encrypt(&m, &generator, suite, &data, false);
            assert_eq!(
                detached_decrypt(&m, suite, &message, by_platform).unwrap(),
                data
            );
        }
    }
}

#[test]
fn a_detached_footer_is_the_footer_the_core_would_write() {
    // RFC 6979 signatures are deterministic: the platform's signature over
    // the signed bytes, completed into DER, is byte for byte the footer of
    // the core's own signer over its running hash.
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    for suite in SIGNED {
        let mut enc = block_on(Encryptor::new(&m, &context(), &encrypt_options(suite))).unwrap();
        enc.detach_signature().unwrap();
        let mut out = Vec::new();
        enc.update(&plaintext(333), &mut out).unwrap();
        let footer = enc.finish_to_sign(&mut out).unwrap();
        let key = footer.signing_key().clone();
        let platform = generator.key_for(&key).unwrap();
        let signature = platform_sign(&platform, footer.signed_bytes(&out).unwrap());
        let body_len = out.len();
        footer.complete(&signature, &mut out).unwrap();

        let mut hasher = kms_envelope::signing::SignatureHasher::new(key.algorithm());
        hasher.update(&out[..body_len]);
        let der = key.sign_digest(&hasher.finalize()).unwrap();
        let mut expected = out[..body_len].to_vec();
        expected.extend_from_slice(&(der.len() as u16).to_be_bytes());
        expected.extend_from_slice(&der);
        assert_eq!(out, expected, "{suite:?}");
    }
}

/// The error code of the pure path and of the detached one, for `message`.
fn both_codes<M: MaterialsManager>(
    m: &M,
    suite: AlgorithmSuiteId,
    message: &[u8],
) -> (Option<ErrorCode>, Option<ErrorCode>) {
    let pure = block_on(decrypt(m, message, &decrypt_options(suite)))
        .err()
        .map(|e| e.code());
    let detached = detached_decrypt(m, suite, message, by_platform)
        .err()
        .map(|e| e.code());
    (pure, detached)
}

#[test]
fn tampered_messages_fail_as_on_the_pure_path() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    for suite in [
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
        AlgorithmSuiteId::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
    ] {
        let message = detached_encrypt(&m, &generator, suite, &plaintext(250), true);
        let mut failures = 0;
        // Every byte of header, frames and footer, one bit flipped.
        for at in 0..message.len() {
            let mut bad = message.clone();
            bad[at] ^= 0x10;
            let (pure, detached) = both_codes(&m, suite, &bad);
            assert_eq!(pure, detached, "{suite:?} byte {at}");
            failures += usize::from(pure.is_some());
        }
        assert!(
            failures >= message.len() - 4,
            "{failures} of {}",
            message.len()
        );
        // Truncated anywhere, and with a byte more.
        for len in (0..message.len()).step_by(7) {
            let (pure, detached) = both_codes(&m, suite, &message[..len]);
            assert_eq!(pure, detached, "{suite:?} truncated to {len}");
            assert!(pure.is_some());
        }
        let mut longer = message.clone();
        longer.push(0);
        let (pure, detached) = both_codes(&m, suite, &longer);
        assert_eq!(pure, detached);
        assert!(pure.is_some());
        // A valid signature of another message with the same key.
        let other = detached_encrypt(&m, &generator, suite, &plaintext(250), true);
        let (pure, detached) = both_codes(&m, suite, &other);
        assert_eq!((pure, detached), (None, None));
        let footer_at = |msg: &[u8]| {
            let (mut body, header_len) = body_decryptor(&m, suite, msg).unwrap();
            body.detach_signature().unwrap();
            body.update(&msg[header_len..], &mut Vec::new()).unwrap();
            body.take_signature_to_verify().unwrap().signed_len() as usize
        };
        // A footer length four bytes short: the pure path fails on the
        // signature before it sees the four bytes left over.
        let at = footer_at(&message);
        let mut short = message.clone();
        short[at + 1] -= 4;
        let (pure, detached) = both_codes(&m, suite, &short);
        assert_eq!(pure, Some(ErrorCode::SignatureInvalid));
        assert_eq!(detached, pure);
        let mut spliced = message[..footer_at(&message)].to_vec();
        spliced.extend_from_slice(&other[footer_at(&other)..]);
        let (pure, detached) = both_codes(&m, suite, &spliced);
        assert_eq!(pure, Some(ErrorCode::SignatureInvalid));
        assert_eq!(detached, pure);
    }
}

#[test]
fn a_detached_signature_cannot_be_skipped() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let message = detached_encrypt(&m, &generator, suite, &plaintext(300), true);
    let other = detached_encrypt(&m, &generator, suite, &plaintext(300), true);
    let body_of = |msg: &[u8]| {
        let (mut body, header_len) = body_decryptor(&m, suite, msg).unwrap();
        body.detach_signature().unwrap();
        let mut out = Vec::new();
        body.update(&msg[header_len..], &mut out).unwrap();
        assert!(out.is_empty());
        body
    };

    // The plain finish is refused and releases nothing.
    let mut out = Vec::new();
    let err = body_of(&message).finish(&mut out).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(out.is_empty());

    // Without taking the signature there is no verdict to give; a verdict
    // about another message is refused.
    let body = body_of(&message);
    let foreign = body_of(&other).take_signature_to_verify().unwrap();
    let verdict = by_platform(foreign, &other);
    assert!(verdict.is_valid());
    let err = body.finish_verified(verdict, &mut out).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(out.is_empty());

    // Taking it twice is refused; a negative verdict is SignatureInvalid.
    let mut body = body_of(&message);
    let to_verify = body.take_signature_to_verify().unwrap();
    assert!(body.take_signature_to_verify().is_err());
    let err = body
        .finish_verified(to_verify.verdict(false), &mut out)
        .unwrap_err();
    assert_eq!(err, Error::SignatureInvalid);
    assert!(out.is_empty());

    // Before the footer: TruncatedMessage, from take and from finish.
    let (mut body, header_len) = body_decryptor(&m, suite, &message).unwrap();
    body.detach_signature().unwrap();
    body.update(&message[header_len..message.len() - 20], &mut out)
        .unwrap();
    assert_eq!(
        body.take_signature_to_verify().unwrap_err(),
        Error::TruncatedMessage
    );
    let other_verdict = body_of(&other)
        .take_signature_to_verify()
        .unwrap()
        .verdict(true);
    assert_eq!(
        body.finish_verified(other_verdict, &mut out).unwrap_err(),
        Error::TruncatedMessage
    );
    assert!(out.is_empty());

    // A footer that is not DER is invalid whatever the caller says.
    let mut bad = message.clone();
    let signed_len = body_of(&message)
        .take_signature_to_verify()
        .unwrap()
        .signed_len();
    // The SEQUENCE tag after the footer's length.
    bad[signed_len as usize + 2] = 0x31;
    let mut body = body_of(&bad);
    let to_verify = body.take_signature_to_verify().unwrap();
    let verdict = to_verify.verdict(true);
    assert!(!verdict.is_valid());
    assert_eq!(
        body.finish_verified(verdict, &mut out).unwrap_err(),
        Error::SignatureInvalid
    );

    // Detaching is for signed suites, once, before the body.
    let mut body = body_of(&message);
    assert!(body.detach_signature().is_err());
    let (mut body, header_len) = body_decryptor(&m, suite, &message).unwrap();
    body.update(&message[header_len..header_len + 1], &mut out)
        .unwrap();
    assert!(body.detach_signature().is_err());
    let unsigned = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let plain = block_on(encrypt(&m, b"x", &context(), &encrypt_options(unsigned)))
        .unwrap()
        .ciphertext;
    let (mut body, _) = body_decryptor(&m, unsigned, &plain).unwrap();
    assert!(body.detach_signature().is_err());
}

#[test]
fn detached_encryptors_refuse_misuse() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let new = || block_on(Encryptor::new(&m, &context(), &encrypt_options(suite))).unwrap();
    let mut out = Vec::new();

    // Detached: finish is refused; not detached: finish_to_sign is.
    let mut enc = new();
    enc.detach_signature().unwrap();
    assert!(enc.detach_signature().is_err());
    assert!(enc.finish(&mut out).is_err());
    assert!(new().finish_to_sign(&mut out).is_err());

    // After the header is written it is too late.
    let mut enc = new();
    out.clear();
    enc.update(b"abc", &mut out).unwrap();
    assert!(!out.is_empty());
    assert!(enc.detach_signature().is_err());

    // Unsigned suites have nothing to detach.
    let unsigned = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let mut enc = block_on(Encryptor::new(&m, &context(), &encrypt_options(unsigned))).unwrap();
    assert!(enc.detach_signature().is_err());

    // A signature of the wrong shape is refused; the signed bytes must be
    // what `out` ends with.
    let mut enc = new();
    enc.detach_signature().unwrap();
    out.clear();
    enc.update(b"abc", &mut out).unwrap();
    let footer = enc.finish_to_sign(&mut out).unwrap();
    assert!(footer.signed_bytes(&out[1..]).is_err());
    assert!(footer.complete(&[1u8; 95], &mut out.clone()).is_err());
    let mut enc = new();
    enc.detach_signature().unwrap();
    out.clear();
    let footer = enc.finish_to_sign(&mut out).unwrap();
    assert!(footer.complete(&[0u8; 96], &mut out).is_err());
}

#[test]
fn the_generator_makes_the_context_key_and_must_match_the_suite() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let out = block_on(encrypt(&m, b"x", &context(), &encrypt_options(suite))).unwrap();
    let b64 = out
        .encryption_context
        .get(kms_envelope::context::PUBLIC_KEY_KEY)
        .unwrap();
    let keys = generator.keys.borrow();
    assert_eq!(keys.len(), 1);
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
        keys[0].0
    );
    drop(keys);

    let broken = PlatformGenerator {
        wrong_curve: Some(SignatureAlgorithm::EcdsaP256Sha256),
        ..PlatformGenerator::default()
    };
    let err = block_on(encrypt(
        &manager(&broken),
        b"x",
        &context(),
        &encrypt_options(suite),
    ))
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);

    // Pairs are checked as far as can be without a scalar multiplication.
    let alg = SignatureAlgorithm::EcdsaP384Sha384;
    let k = p384::ecdsa::SigningKey::generate_from_rng(&mut rand_core::UnwrapErr(
        kms_envelope::random::rng(),
    ));
    let point = k.verifying_key().to_sec1_point(false);
    assert!(SigningKey::from_external_pair(alg, &[0u8; 48], point.as_bytes()).is_err());
    assert!(SigningKey::from_external_pair(alg, &[0xffu8; 48], point.as_bytes()).is_err());
    let mut off_curve = point.as_bytes().to_vec();
    off_curve[60] ^= 1;
    assert!(SigningKey::from_external_pair(alg, &k.to_bytes(), &off_curve).is_err());
    let external = SigningKey::from_external_pair(alg, &k.to_bytes(), point.as_bytes()).unwrap();
    assert!(!format!("{external:?}").contains(&format!("{:?}", &k.to_bytes()[..4])));
    assert_eq!(
        external.public_key_sec1(),
        k.verifying_key().to_sec1_point(true).as_bytes()
    );
}

#[test]
fn cached_materials_keep_their_platform_key() {
    let generator = PlatformGenerator::default();
    let cache = CachingMaterialsManager::builder(
        Box::new(manager(&generator)),
        || 0,
        Duration::from_secs(60),
    )
    .build()
    .unwrap();
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let data = plaintext(500);
    let a = detached_encrypt(&cache, &generator, suite, &data, true);
    let b = detached_encrypt(&cache, &generator, suite, &data, true);
    // One key pair served both messages, each signed by its platform key.
    assert_eq!(generator.keys.borrow().len(), 1);
    assert_eq!(cache.stats().hits, 1);
    for message in [a, b] {
        let opened = block_on(decrypt(&cache, &message, &decrypt_options(suite))).unwrap();
        assert_eq!(opened.plaintext, data);
    }
}

#[test]
fn platform_decompressed_keys_are_the_points_the_core_would_decompress() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let message = detached_encrypt(&m, &generator, suite, b"abc", true);
    assert_eq!(
        detached_decrypt(&m, suite, &message, by_platform).unwrap(),
        b"abc"
    );
    assert_eq!(
        generator.decompressed.get(),
        1,
        "the platform decompressed it"
    );

    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for alg in [
        SignatureAlgorithm::EcdsaP256Sha256,
        SignatureAlgorithm::EcdsaP384Sha384,
    ] {
        let key = SigningKey::generate(alg).unwrap();
        let compressed = key.public_key_sec1();
        let good = platform_decompress(alg, &compressed).unwrap();
        assert_eq!(
            VerificationKey::from_decompressed(alg, &compressed, &good),
            Some(VerificationKey::from_base64(alg, &b64.encode(&compressed)).unwrap())
        );
        // A platform's wrong answer is refused: the other y, another x,
        // another point, other lengths and tags.
        let other = platform_decompress(alg, &SigningKey::generate(alg).unwrap().public_key_sec1())
            .unwrap();
        let n = good.len();
        let mut flipped = compressed.clone();
        flipped[0] ^= 1;
        let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (flipped.clone(), good.clone()),
            (compressed.clone(), other.clone()),
            (
                compressed.clone(),
                [&good[..n / 2 + 1], &other[n / 2 + 1..]].concat(),
            ),
            (compressed.clone(), good[..n - 1].to_vec()),
            (good.clone(), good.clone()),
            (compressed.clone(), [&[0x06][..], &good[1..]].concat()),
        ];
        for (c, u) in cases {
            assert_eq!(VerificationKey::from_decompressed(alg, &c, &u), None);
        }
        // Keys the core refuses are refused alike through the platform.
        let p_minus_x: Vec<u8> = [&[0x02][..], &vec![0xffu8; compressed.len() - 1]].concat();
        for bad in [
            b64.encode(&p_minus_x),
            b64.encode(&compressed[..compressed.len() - 1]),
            b64.encode([&[0x06][..], &good[1..]].concat()),
            "not base64!".to_string(),
        ] {
            let pure = VerificationKey::from_base64(alg, &bad).unwrap_err();
            let platform = block_on(generator.verification_key(alg, &bad)).unwrap_err();
            assert_eq!(pure, platform);
        }
        // Uncompressed keys are read as before.
        let uncompressed = b64.encode(&good);
        assert_eq!(
            block_on(generator.verification_key(alg, &uncompressed)).unwrap(),
            VerificationKey::from_base64(alg, &uncompressed).unwrap()
        );
    }
}

#[test]
fn the_signed_length_is_known_once_the_body_before_the_footer_is_read() {
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    for suite in SIGNED {
        let message = detached_encrypt(&m, &generator, suite, &plaintext(300), true);
        let (mut body, header_len) = body_decryptor(&m, suite, &message).unwrap();
        body.detach_signature().unwrap();
        let mut out = Vec::new();
        let mut known_at = None;
        for (i, byte) in message[header_len..].iter().enumerate() {
            body.update(core::slice::from_ref(byte), &mut out).unwrap();
            if known_at.is_none() && body.signed_len().is_some() {
                known_at = Some(header_len + i + 1);
            }
        }
        let to_verify = body.take_signature_to_verify().unwrap();
        let signed = to_verify.signed_len();
        // Known from the last byte of the final frame on, and exactly
        // what the footer's signature covers.
        assert_eq!(known_at, Some(signed as usize), "{suite:?}");
        assert_eq!(body.signed_len(), Some(signed), "{suite:?}");
        let footer_len = usize::from(u16::from_be_bytes([
            message[signed as usize],
            message[signed as usize + 1],
        ]));
        assert_eq!(signed as usize + 2 + footer_len, message.len(), "{suite:?}");
    }
    // Unsigned: never.
    let generator = PlatformGenerator::default();
    let m = manager(&generator);
    let unsigned = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let message = block_on(encrypt(
        &m,
        &plaintext(300),
        &context(),
        &encrypt_options(unsigned),
    ))
    .unwrap();
    let (mut body, header_len) = body_decryptor(&m, unsigned, &message.ciphertext).unwrap();
    let mut out = Vec::new();
    body.update(&message.ciphertext[header_len..], &mut out)
        .unwrap();
    assert_eq!(body.signed_len(), None);
}
