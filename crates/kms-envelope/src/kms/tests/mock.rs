//! An in-memory KMS for keyring tests: it resolves key ids and aliases,
//! binds ciphertexts to key and encryption context as KMS does, knows
//! multi-Region replicas, records every call, and fails or misbehaves on
//! request.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use pkcs8::EncodePublicKey;
use rsa::{Oaep, PrivateKey as RsaPrivateKey};
use zeroize::Zeroizing;

use crate::LocalBoxFuture;
use crate::context::EncryptionContext;
use crate::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsArn, KmsClient, KmsError, PublicKeyResponse,
};

pub const ACCOUNT: &str = "111122223333";

/// One recorded KMS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: &'static str,
    pub key_id: String,
    pub context: EncryptionContext,
    pub grant_tokens: Vec<String>,
    pub algorithm: Option<String>,
    pub number_of_bytes: Option<u16>,
}

#[derive(Clone)]
pub enum KeyKind {
    Symmetric,
    Rsa(Rc<RsaPrivateKey>),
}

/// State shared by the clients of every region, as one KMS account is.
#[derive(Default)]
pub struct World {
    /// Keys by key id (resource id); an `mrk-` key exists in every region.
    keys: RefCell<BTreeMap<String, KeyKind>>,
    /// Which keys are disabled.
    disabled: RefCell<Vec<String>>,
    /// Alias name (`alias/x`) → key id.
    aliases: RefCell<BTreeMap<String, String>>,
}

impl World {
    pub fn new() -> Rc<Self> {
        Rc::new(World::default())
    }

    pub fn add_key(&self, key_id: &str) {
        self.keys
            .borrow_mut()
            .insert(key_id.into(), KeyKind::Symmetric);
    }

    pub fn add_rsa_key(&self, key_id: &str, key: RsaPrivateKey) {
        self.keys
            .borrow_mut()
            .insert(key_id.into(), KeyKind::Rsa(Rc::new(key)));
    }

    pub fn add_alias(&self, alias: &str, key_id: &str) {
        self.aliases
            .borrow_mut()
            .insert(alias.into(), key_id.into());
    }

    pub fn disable(&self, key_id: &str) {
        self.disabled.borrow_mut().push(key_id.into());
    }
}

/// A client for one region of a [`World`].
pub struct MockKms {
    region: String,
    world: Rc<World>,
    pub calls: RefCell<Vec<Call>>,
    /// Errors the next calls fail with, in order.
    pub fail_next: RefCell<VecDeque<KmsError>>,
    /// Answer every call with this `KeyId` instead of the true ARN.
    pub answer_key_id: RefCell<Option<String>>,
    /// Truncate or pad returned plaintexts to this length.
    pub answer_plaintext_len: Cell<Option<usize>>,
}

pub fn arn(region: &str, key_id: &str) -> String {
    alloc::format!("arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}")
}

impl MockKms {
    pub fn new(world: &Rc<World>, region: &str) -> Rc<Self> {
        Rc::new(MockKms {
            region: region.into(),
            world: world.clone(),
            calls: RefCell::new(Vec::new()),
            fail_next: RefCell::new(VecDeque::new()),
            answer_key_id: RefCell::new(None),
            answer_plaintext_len: Cell::new(None),
        })
    }

    pub fn ops(&self) -> Vec<&'static str> {
        self.calls.borrow().iter().map(|c| c.op).collect()
    }

    pub fn fail_with(&self, code: &str) {
        self.fail_next
            .borrow_mut()
            .push_back(KmsError::service(code, "injected"));
    }

    /// The key id and ARN `key_id` names in this region, as KMS resolves it.
    fn resolve(&self, key_id: &str) -> Result<(String, KeyKind), KmsError> {
        let not_found = || KmsError::service("NotFoundException", key_id.to_string());
        let id = if let Ok(arn) = KmsArn::parse(key_id) {
            // KMS answers for the region and account the request goes to.
            if arn.region() != self.region || arn.account() != ACCOUNT {
                return Err(not_found());
            }
            match arn.resource_type() {
                crate::kms::KmsResourceType::Key => arn.resource_id().to_string(),
                crate::kms::KmsResourceType::Alias => {
                    let alias = alloc::format!("alias/{}", arn.resource_id());
                    self.world
                        .aliases
                        .borrow()
                        .get(&alias)
                        .cloned()
                        .ok_or_else(not_found)?
                }
            }
        } else if key_id.starts_with("alias/") {
            self.world
                .aliases
                .borrow()
                .get(key_id)
                .cloned()
                .ok_or_else(not_found)?
        } else {
            key_id.to_string()
        };
        let kind = self
            .world
            .keys
            .borrow()
            .get(&id)
            .cloned()
            .ok_or_else(not_found)?;
        if self.world.disabled.borrow().contains(&id) {
            return Err(KmsError::service(
                "DisabledException",
                alloc::format!("{id} is disabled"),
            ));
        }
        Ok((id, kind))
    }

    fn begin(&self, call: Call) -> Result<(), KmsError> {
        self.calls.borrow_mut().push(call);
        match self.fail_next.borrow_mut().pop_front() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn answer_arn(&self, key_id: &str) -> String {
        self.answer_key_id
            .borrow()
            .clone()
            .unwrap_or_else(|| arn(&self.region, key_id))
    }

    fn answer_plaintext(&self, mut plaintext: Vec<u8>) -> Zeroizing<Vec<u8>> {
        if let Some(len) = self.answer_plaintext_len.get() {
            plaintext.resize(len, 0xAB);
        }
        Zeroizing::new(plaintext)
    }

    /// A symmetric "ciphertext": the key id, the context and the plaintext,
    /// so Decrypt can check both as KMS does (no secrecy needed here).
    fn seal(key_id: &str, context: &EncryptionContext, plaintext: &[u8]) -> Vec<u8> {
        let ctx = context.serialize().unwrap();
        let mut out = b"MOCK".to_vec();
        for field in [key_id.as_bytes(), &ctx, plaintext] {
            out.extend_from_slice(&(field.len() as u32).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    fn open(blob: &[u8]) -> Option<(String, Vec<u8>, Vec<u8>)> {
        let mut rest = blob.strip_prefix(b"MOCK")?;
        let mut fields = Vec::new();
        for _ in 0..3 {
            let (len, tail) = rest.split_at_checked(4)?;
            let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
            let (field, tail) = tail.split_at_checked(len)?;
            fields.push(field.to_vec());
            rest = tail;
        }
        let plaintext = fields.pop()?;
        let ctx = fields.pop()?;
        let key = String::from_utf8(fields.pop()?).ok()?;
        Some((key, ctx, plaintext))
    }
}

fn invalid_ciphertext() -> KmsError {
    KmsError::service("InvalidCiphertextException", "does not decrypt")
}

impl KmsClient for MockKms {
    fn region(&self) -> &str {
        &self.region
    }

    fn generate_data_key<'a>(
        &'a self,
        request: GenerateDataKeyRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<GeneratedDataKey, KmsError>> {
        let result = (|| {
            self.begin(Call {
                op: "GenerateDataKey",
                key_id: request.key_id.into(),
                context: request.encryption_context.clone(),
                grant_tokens: request.grant_tokens.to_vec(),
                algorithm: None,
                number_of_bytes: Some(request.number_of_bytes),
            })?;
            let (id, _) = self.resolve(request.key_id)?;
            let mut plaintext = alloc::vec![0u8; usize::from(request.number_of_bytes)];
            crate::random::fill(&mut plaintext).unwrap();
            Ok(GeneratedDataKey {
                key_id: self.answer_arn(&id),
                ciphertext_blob: Self::seal(&id, request.encryption_context, &plaintext),
                plaintext: self.answer_plaintext(plaintext),
            })
        })();
        Box::pin(core::future::ready(result))
    }

    fn encrypt<'a>(
        &'a self,
        request: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>> {
        let result = (|| {
            self.begin(Call {
                op: "Encrypt",
                key_id: request.key_id.into(),
                context: request.encryption_context.clone(),
                grant_tokens: request.grant_tokens.to_vec(),
                algorithm: request.encryption_algorithm.map(Into::into),
                number_of_bytes: None,
            })?;
            let (id, _) = self.resolve(request.key_id)?;
            Ok(EncryptResponse {
                key_id: self.answer_arn(&id),
                ciphertext_blob: Self::seal(&id, request.encryption_context, request.plaintext),
            })
        })();
        Box::pin(core::future::ready(result))
    }

    fn decrypt<'a>(
        &'a self,
        request: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>> {
        let result = (|| {
            self.begin(Call {
                op: "Decrypt",
                key_id: request.key_id.into(),
                context: request.encryption_context.clone(),
                grant_tokens: request.grant_tokens.to_vec(),
                algorithm: request.encryption_algorithm.map(Into::into),
                number_of_bytes: None,
            })?;
            let (id, kind) = self.resolve(request.key_id)?;
            let plaintext = match kind {
                KeyKind::Symmetric => {
                    let (key, ctx, plaintext) =
                        Self::open(request.ciphertext).ok_or_else(invalid_ciphertext)?;
                    if key != id {
                        return Err(KmsError::service("IncorrectKeyException", "other key"));
                    }
                    if ctx != request.encryption_context.serialize().unwrap() {
                        return Err(invalid_ciphertext());
                    }
                    plaintext
                }
                KeyKind::Rsa(private) => {
                    if !request.encryption_context.is_empty() {
                        return Err(KmsError::service(
                            "ValidationException",
                            "asymmetric keys take no encryption context",
                        ));
                    }
                    let ciphertext = request.ciphertext;
                    match request.encryption_algorithm {
                        Some("RSAES_OAEP_SHA_1") => {
                            private.decrypt(Oaep::<sha1::Sha1>::new(), ciphertext)
                        }
                        Some("RSAES_OAEP_SHA_256") => {
                            private.decrypt(Oaep::<sha2::Sha256>::new(), ciphertext)
                        }
                        _ => {
                            return Err(KmsError::service(
                                "InvalidKeyUsageException",
                                "asymmetric Decrypt needs an EncryptionAlgorithm",
                            ));
                        }
                    }
                    .map_err(|_| invalid_ciphertext())?
                }
            };
            Ok(DecryptResponse {
                key_id: self.answer_arn(&id),
                plaintext: self.answer_plaintext(plaintext),
            })
        })();
        Box::pin(core::future::ready(result))
    }

    fn get_public_key<'a>(
        &'a self,
        key_id: &'a str,
        grant_tokens: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        let result = (|| {
            self.begin(Call {
                op: "GetPublicKey",
                key_id: key_id.into(),
                context: EncryptionContext::new(),
                grant_tokens: grant_tokens.to_vec(),
                algorithm: None,
                number_of_bytes: None,
            })?;
            let (id, kind) = self.resolve(key_id)?;
            let KeyKind::Rsa(private) = kind else {
                return Err(KmsError::service(
                    "UnsupportedOperationException",
                    "symmetric keys have no public key",
                ));
            };
            let der = private.to_public_key().to_public_key_der().unwrap();
            Ok(PublicKeyResponse {
                key_id: self.answer_arn(&id),
                public_key: der.as_bytes().to_vec(),
                key_spec: "RSA_2048".into(),
                key_usage: "ENCRYPT_DECRYPT".into(),
                encryption_algorithms: alloc::vec![
                    "RSAES_OAEP_SHA_1".into(),
                    "RSAES_OAEP_SHA_256".into()
                ],
                signing_algorithms: Vec::new(),
            })
        })();
        Box::pin(core::future::ready(result))
    }
}
