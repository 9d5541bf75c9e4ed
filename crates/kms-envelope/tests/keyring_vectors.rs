//! Cross-checks the keyrings and materials managers against messages written
//! by the AWS Encryption SDK: for every raw-key case of the shared decrypt
//! vectors, the header's encrypted data keys are read by hand and the
//! configured keyring (through the default or required-context manager) must
//! unwrap one. AES-GCM and OAEP unwrapping authenticate, so success shows
//! that provider info, AAD and padding match the SDK's byte for byte. The
//! full decryption (header tag, body, signature) is the format's vector test.
//!
//! The vectors live in `../shared/esdk-vectors` beside the repository, or
//! where `ESDK_VECTORS` points.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
// A test: a malformed vector should stop it loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kms_envelope::cmm::{
    DecryptionMaterialsRequest, DefaultMaterialsManager, MaterialsManager,
    RequiredEncryptionContextManager,
};
use kms_envelope::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding};
use kms_envelope::materials::EncryptedDataKey;
use kms_envelope::{AlgorithmSuiteId, CommitmentPolicy, EncryptionContext};
use serde_json::Value;

/// The vectors' directory; missing vectors fail the test rather than skip
/// it, so a checkout without them cannot pass for one that has them.
fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("ESDK_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/esdk-vectors")
        });
    assert!(
        dir.is_dir(),
        "ESDK vectors not found at {} (set ESDK_VECTORS)",
        dir.display()
    );
    dir
}

/// The parts of a message header the materials managers need.
struct Header {
    suite: AlgorithmSuiteId,
    context: EncryptionContext,
    edks: Vec<EncryptedDataKey>,
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    head
}

fn take_u16(bytes: &mut &[u8]) -> usize {
    usize::from(u16::from_be_bytes(take(bytes, 2).try_into().unwrap()))
}

fn parse_header(message: &[u8]) -> Header {
    let mut rest = message;
    let version = take(&mut rest, 1)[0];
    if version == 1 {
        assert_eq!(take(&mut rest, 1)[0], 0x80, "message type");
    }
    let suite = AlgorithmSuiteId::from_u16(take_u16(&mut rest) as u16).unwrap();
    take(&mut rest, if version == 1 { 16 } else { 32 }); // message id
    let aad_len = take_u16(&mut rest);
    let context = EncryptionContext::deserialize(take(&mut rest, aad_len)).unwrap();
    let count = take_u16(&mut rest);
    let edks = (0..count)
        .map(|_| {
            let n = take_u16(&mut rest);
            let provider_id = String::from_utf8(take(&mut rest, n).to_vec()).unwrap();
            let n = take_u16(&mut rest);
            let provider_info = take(&mut rest, n).to_vec();
            let n = take_u16(&mut rest);
            let ciphertext = take(&mut rest, n).to_vec();
            EncryptedDataKey {
                provider_id,
                provider_info,
                ciphertext,
            }
        })
        .collect();
    Header {
        suite,
        context,
        edks,
    }
}

/// Builds the keyring a vector's key description names; `None` for keys
/// that cannot decrypt (public RSA keys in a multi-keyring).
fn keyring(keys: &Value, description: &Value) -> Option<Box<dyn Keyring>> {
    match description["type"].as_str().unwrap() {
        "raw" => {
            let key = &keys[description["key"].as_str().unwrap()];
            let namespace = description["provider-id"].as_str().unwrap();
            let name = key["key-id"].as_str().unwrap();
            let material = key["material"].as_str().unwrap();
            match description["encryption-algorithm"].as_str().unwrap() {
                "aes" => {
                    let bytes = BASE64.decode(material).unwrap();
                    Some(Box::new(
                        RawAesKeyring::new(namespace, name, &bytes).unwrap(),
                    ))
                }
                "rsa" => {
                    if key["type"] != "private" {
                        return None;
                    }
                    let padding = match (
                        description["padding-algorithm"].as_str().unwrap(),
                        description["padding-hash"].as_str(),
                    ) {
                        ("pkcs1", _) => RsaPadding::Pkcs1,
                        ("oaep-mgf1", Some("sha1")) => RsaPadding::OaepSha1,
                        ("oaep-mgf1", Some("sha256")) => RsaPadding::OaepSha256,
                        ("oaep-mgf1", Some("sha384")) => RsaPadding::OaepSha384,
                        ("oaep-mgf1", Some("sha512")) => RsaPadding::OaepSha512,
                        other => panic!("padding {other:?}"),
                    };
                    Some(Box::new(
                        RawRsaKeyring::from_private_key_pem(namespace, name, padding, material)
                            .unwrap(),
                    ))
                }
                other => panic!("algorithm {other}"),
            }
        }
        "multi-keyring" => {
            let generator = description.get("generator").and_then(|g| keyring(keys, g));
            let children = description["childKeyrings"]
                .as_array()
                .map(|c| c.iter().filter_map(|d| keyring(keys, d)).collect())
                .unwrap_or_default();
            Some(Box::new(MultiKeyring::new(generator, children).unwrap()))
        }
        other => panic!("key description {other}"),
    }
}

struct Case {
    name: String,
    ciphertext: PathBuf,
    keyring: Box<dyn Keyring>,
    required_keys: Vec<String>,
    reproduced: BTreeMap<String, String>,
}

fn context_of(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn cases(dir: &Path) -> Vec<Case> {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let keys: Value =
        serde_json::from_slice(&std::fs::read(dir.join("keys.json")).unwrap()).unwrap();
    let keys = &keys["keys"];
    let file = |uri: &Value| dir.join(uri.as_str().unwrap().trim_start_matches("file://"));
    let mut out = Vec::new();
    for (name, test) in manifest["tests"].as_object().unwrap() {
        if let Some(scenario) = test.get("decryption-scenario") {
            // Manifest version 5.
            let mut description = &scenario["decryptKeyDescription"];
            let mut required_keys = Vec::new();
            if description["type"] == "required-encryption-context-cmm" {
                required_keys = description["requiredEncryptionContextKeys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap().to_string())
                    .collect();
                description = &description["underlying"];
            }
            out.push(Case {
                name: name.clone(),
                ciphertext: file(&scenario["ciphertext"]),
                keyring: keyring(keys, description).unwrap(),
                required_keys,
                reproduced: context_of(&scenario["reproduced-encryption-context"]),
            });
        } else {
            // Manifest version 4: master keys, each able to decrypt alone.
            let children = test["master-keys"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|d| keyring(keys, d))
                .collect();
            out.push(Case {
                name: name.clone(),
                ciphertext: file(&test["ciphertext"]),
                keyring: Box::new(MultiKeyring::new(None, children).unwrap()),
                required_keys: Vec::new(),
                reproduced: context_of(&test["encryption-context"]),
            });
        }
    }
    out
}

#[test]
fn keyrings_unwrap_the_data_keys_of_sdk_written_messages() {
    let root = vectors_dir();
    let mut checked = 0;
    let mut providers = BTreeMap::<String, usize>::new();
    for folder in ["dafny-4.1.0-raw", "net-4.0.1-raw", "net-4.0.0-valid"] {
        for case in cases(&root.join(folder)) {
            let message = std::fs::read(&case.ciphertext).unwrap();
            let header = parse_header(&message);
            for edk in &header.edks {
                *providers.entry(edk.provider_id.clone()).or_default() += 1;
            }
            let default = Box::new(DefaultMaterialsManager::new(case.keyring));
            let cmm: Box<dyn MaterialsManager> = if case.required_keys.is_empty() {
                default
            } else {
                Box::new(
                    RequiredEncryptionContextManager::new(default, case.required_keys).unwrap(),
                )
            };
            let reproduced: EncryptionContext = case.reproduced.into_iter().collect();
            let request = DecryptionMaterialsRequest {
                suite: header.suite,
                commitment_policy: CommitmentPolicy::RequireEncryptAllowDecrypt,
                encrypted_data_keys: header.edks,
                encryption_context: header.context,
                reproduced_encryption_context: Some(reproduced),
            };
            let materials = pollster::block_on(cmm.decrypt_materials(request))
                .unwrap_or_else(|e| panic!("{folder}/{}: {e}", case.name));
            let data_key = materials.data_key.unwrap();
            assert_eq!(
                data_key.as_bytes().len(),
                header.suite.suite().data_key_len()
            );
            assert_eq!(
                materials.verification_key.is_some(),
                header.suite.suite().signature.is_some()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 187 + 99 + 5, "cases seen: {providers:?}");
}
