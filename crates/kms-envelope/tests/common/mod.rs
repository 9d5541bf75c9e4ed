//! Test-only materials: a manager with a fixed data key, so the format can
//! be tested without the keyrings.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use kms_envelope::cmm::{DecryptionMaterialsRequest, EncryptionMaterialsRequest, MaterialsManager};
use kms_envelope::context::PUBLIC_KEY_KEY;
use kms_envelope::materials::{
    DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials,
};
use kms_envelope::signing::{SigningKey, VerificationKey};
use kms_envelope::{AlgorithmSuiteId, CommitmentPolicy, Error, LocalBoxFuture};

/// Derives every data key from one fixed byte; its one encrypted data key
/// names the provider "test-fixed".
pub struct FixedKeyManager {
    pub key_byte: u8,
    /// Context keys to authenticate without storing.
    pub required_keys: Vec<String>,
    /// The last public key parsed: decompressing a P-384 point dominates
    /// the tamper tests otherwise.
    parsed: std::cell::RefCell<Option<(String, VerificationKey)>>,
}

impl FixedKeyManager {
    pub fn new(key_byte: u8) -> Self {
        FixedKeyManager {
            key_byte,
            required_keys: Vec::new(),
            parsed: Default::default(),
        }
    }
}

impl MaterialsManager for FixedKeyManager {
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        Box::pin(async move {
            let suite = request
                .suite
                .unwrap_or(request.commitment_policy.default_suite())
                .suite();
            let mut context = request.encryption_context;
            let signing_key = match suite.signature {
                Some(alg) => {
                    let key = SigningKey::generate(alg)?;
                    context.insert(PUBLIC_KEY_KEY, key.public_key_base64());
                    Some(key)
                }
                None => None,
            };
            let mut m = EncryptionMaterials::new(suite, context);
            m.data_key = Some(DataKey::new(
                vec![self.key_byte; suite.data_key_len()],
                suite,
            )?);
            m.encrypted_data_keys.push(EncryptedDataKey {
                provider_id: "test-fixed".into(),
                provider_info: vec![self.key_byte],
                ciphertext: vec![0; 8],
            });
            m.signing_key = signing_key;
            m.required_encryption_context_keys = self.required_keys.clone();
            Ok(m)
        })
    }

    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        Box::pin(async move {
            let suite = request.suite.suite();
            if !request
                .encrypted_data_keys
                .iter()
                .any(|k| k.provider_id == "test-fixed" && k.provider_info == [self.key_byte])
            {
                return Err(Error::NoDecryptableDataKey { failures: vec![] });
            }
            let mut context = request.encryption_context;
            if let Some(reproduced) = &request.reproduced_encryption_context {
                for k in &self.required_keys {
                    if let Some(v) = reproduced.get(k) {
                        context.insert(k.clone(), v);
                    }
                }
            }
            let verification_key = match suite.signature {
                Some(alg) => {
                    let b64 = context.get(PUBLIC_KEY_KEY).unwrap_or_default();
                    let mut parsed = self.parsed.borrow_mut();
                    match &*parsed {
                        Some((k, key)) if k == b64 && key_matches(key, alg) => Some(key.clone()),
                        _ => {
                            let key = VerificationKey::from_base64(alg, b64)?;
                            *parsed = Some((b64.to_string(), key.clone()));
                            Some(key)
                        }
                    }
                }
                None => None,
            };
            let mut m = DecryptionMaterials::new(suite, context);
            m.data_key = Some(DataKey::new(
                vec![self.key_byte; suite.data_key_len()],
                suite,
            )?);
            m.verification_key = verification_key;
            m.required_encryption_context_keys = self.required_keys.clone();
            Ok(m)
        })
    }
}

fn key_matches(key: &VerificationKey, alg: kms_envelope::suite::SignatureAlgorithm) -> bool {
    use kms_envelope::suite::SignatureAlgorithm as A;
    matches!(
        (key, alg),
        (VerificationKey::P256(_), A::EcdsaP256Sha256)
            | (VerificationKey::P384(_), A::EcdsaP384Sha384)
    )
}

/// Decrypts with the streaming states, feeding `chunks` sizes in turn
/// (cycling). Returns the output released so far and the result.
pub fn stream_decrypt<M: MaterialsManager + ?Sized>(
    manager: &M,
    ciphertext: &[u8],
    options: &kms_envelope::DecryptOptions,
    chunks: &[usize],
) -> (Vec<u8>, Result<(), Error>) {
    use kms_envelope::{HeaderReader, ReadHeader};
    let mut out = Vec::new();
    let mut sizes = chunks.iter().copied().cycle();
    let mut rest = ciphertext;
    let mut next_chunk = |rest: &mut &[u8]| -> Vec<u8> {
        let n = sizes.next().unwrap_or(1).max(1).min(rest.len());
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        head.to_vec()
    };
    let mut reader = HeaderReader::new(options.clone());
    let (parsed, mut leftover) = loop {
        if rest.is_empty() {
            return (out, reader.finish());
        }
        let chunk = next_chunk(&mut rest);
        let mut input = &chunk[..];
        match reader.read(&mut input) {
            Err(e) => return (out, Err(e)),
            Ok(ReadHeader::NeedMore(r)) => reader = r,
            Ok(ReadHeader::Parsed(p)) => break (p, input.to_vec()),
        }
    };
    let mut body = match pollster::block_on(parsed.obtain_materials(manager)) {
        Ok(b) => b,
        Err(e) => return (out, Err(e)),
    };
    loop {
        if let Err(e) = body.update(&leftover, &mut out) {
            return (out, Err(e));
        }
        if rest.is_empty() {
            break;
        }
        leftover = next_chunk(&mut rest);
    }
    let r = body.finish(&mut out);
    (out, r)
}

/// The commitment policy that lets `suite` encrypt and decrypt.
pub fn policy_for(suite: AlgorithmSuiteId) -> CommitmentPolicy {
    if suite.suite().commitment {
        CommitmentPolicy::RequireEncryptRequireDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    }
}
