//! The AWS Encryption SDK's own decrypt vectors (raw AES and raw RSA keys):
//! every positive case must decrypt byte for byte and every negative case
//! must be refused, through the one-shot API and through the streaming
//! decryptor fed in small irregular chunks.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use kms_envelope::cmm::{
    DefaultMaterialsManager, MaterialsManager, RequiredEncryptionContextManager,
};
use kms_envelope::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding};
use kms_envelope::{CommitmentPolicy, DecryptOptions, EncryptionContext, decrypt};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/esdk-vectors");

/// Chunk sizes for the streaming decryptor: small and irregular, so that
/// every structure is split somewhere.
const CHUNKS: &[usize] = &[1, 3, 17, 2, 64, 5, 511, 7, 1024, 13];

struct Case {
    name: String,
    ciphertext: Vec<u8>,
    /// `None` for a negative case.
    plaintext: Option<Vec<u8>>,
    manager: Box<dyn MaterialsManager>,
    reproduced: Option<EncryptionContext>,
}

fn read_uri(dir: &Path, uri: &str) -> Vec<u8> {
    let rel = uri.strip_prefix("file://").expect("file:// uri");
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn keyring(keys: &Value, desc: &Value) -> Box<dyn Keyring> {
    match desc["type"].as_str().unwrap() {
        "raw" => {
            let key = &keys[desc["key"].as_str().unwrap()];
            let namespace = desc["provider-id"].as_str().unwrap();
            let name = key["key-id"].as_str().unwrap();
            match desc["encryption-algorithm"].as_str().unwrap() {
                "aes" => {
                    let material = base64::engine::general_purpose::STANDARD
                        .decode(key["material"].as_str().unwrap())
                        .unwrap();
                    Box::new(RawAesKeyring::new(namespace, name, &material).unwrap())
                }
                "rsa" => {
                    let padding = match (
                        desc["padding-algorithm"].as_str().unwrap(),
                        desc["padding-hash"].as_str().unwrap_or("sha1"),
                    ) {
                        ("pkcs1", _) => RsaPadding::Pkcs1,
                        ("oaep-mgf1", "sha1") => RsaPadding::OaepSha1,
                        ("oaep-mgf1", "sha256") => RsaPadding::OaepSha256,
                        ("oaep-mgf1", "sha384") => RsaPadding::OaepSha384,
                        ("oaep-mgf1", "sha512") => RsaPadding::OaepSha512,
                        other => panic!("padding {other:?}"),
                    };
                    let pem = key["material"].as_str().unwrap();
                    Box::new(if key["type"] == "private" {
                        RawRsaKeyring::from_private_key_pem(namespace, name, padding, pem).unwrap()
                    } else {
                        RawRsaKeyring::from_public_key_pem(namespace, name, padding, pem).unwrap()
                    })
                }
                other => panic!("algorithm {other}"),
            }
        }
        "multi-keyring" => {
            let generator = match &desc["generator"] {
                Value::Null => None,
                g => Some(keyring(keys, g)),
            };
            let children = desc["childKeyrings"]
                .as_array()
                .map(|c| c.iter().map(|d| keyring(keys, d)).collect())
                .unwrap_or_default();
            Box::new(MultiKeyring::new(generator, children).unwrap())
        }
        other => panic!("keyring type {other}"),
    }
}

fn context(v: &Value) -> EncryptionContext {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn load(folder: &str) -> Vec<Case> {
    let dir = PathBuf::from(VECTORS).join(folder);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let keys: Value =
        serde_json::from_slice(&read_uri(&dir, manifest["keys"].as_str().unwrap())).unwrap();
    let keys = &keys["keys"];
    let version = manifest["manifest"]["version"].as_u64().unwrap();
    let mut cases = Vec::new();
    for (name, test) in manifest["tests"].as_object().unwrap() {
        let case = if version >= 5 {
            let s = &test["decryption-scenario"];
            let desc = &s["decryptKeyDescription"];
            let manager: Box<dyn MaterialsManager> = if desc["type"]
                == "required-encryption-context-cmm"
            {
                let required = desc["requiredEncryptionContextKeys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap().to_string())
                    .collect();
                let underlying = DefaultMaterialsManager::new(keyring(keys, &desc["underlying"]));
                Box::new(
                    RequiredEncryptionContextManager::new(Box::new(underlying), required).unwrap(),
                )
            } else {
                Box::new(DefaultMaterialsManager::new(keyring(keys, desc)))
            };
            let positive = s["type"] == "positive-esdk";
            Case {
                name: name.clone(),
                ciphertext: read_uri(&dir, s["ciphertext"].as_str().unwrap()),
                plaintext: positive.then(|| read_uri(&dir, s["result"].as_str().unwrap())),
                manager,
                reproduced: Some(context(&s["reproduced-encryption-context"])),
            }
        } else {
            // v4: decrypt with any of the master keys that can decrypt.
            let mut rings: Vec<Box<dyn Keyring>> = test["master-keys"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| keys[d["key"].as_str().unwrap()]["decrypt"] == true)
                .map(|d| keyring(keys, d))
                .collect();
            let ring: Box<dyn Keyring> = if rings.len() == 1 {
                rings.pop().unwrap()
            } else {
                Box::new(MultiKeyring::new(None, rings).unwrap())
            };
            let ctx = context(&test["encryption-context"]);
            let underlying = DefaultMaterialsManager::new(ring);
            let manager: Box<dyn MaterialsManager> = if test["cmm"] == "RequiredEncryptionContext" {
                let required = ctx.iter().map(|(k, _)| k.to_string()).collect();
                Box::new(
                    RequiredEncryptionContextManager::new(Box::new(underlying), required).unwrap(),
                )
            } else {
                Box::new(underlying)
            };
            let plaintext = test["result"]["output"]["plaintext"]
                .as_str()
                .map(|uri| read_uri(&dir, uri));
            Case {
                name: name.clone(),
                ciphertext: read_uri(&dir, test["ciphertext"].as_str().unwrap()),
                plaintext,
                manager,
                reproduced: Some(ctx),
            }
        };
        cases.push(case);
    }
    cases
}

#[test]
fn esdk_vectors_decrypt_one_shot_and_streaming() {
    let mut positive = 0;
    let mut negative = 0;
    let mut failures = Vec::new();
    for folder in [
        "net-4.0.1-raw",
        "net-4.0.0-valid",
        "net-4.0.0-invalid",
        "dafny-4.1.0-raw",
    ] {
        for case in load(folder) {
            let mut options = DecryptOptions::default()
                .with_commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt);
            options.reproduced_encryption_context = case.reproduced.clone();
            let one_shot = pollster::block_on(decrypt(&*case.manager, &case.ciphertext, &options));
            let (streamed, stream_result) =
                common::stream_decrypt(&*case.manager, &case.ciphertext, &options, CHUNKS);
            match &case.plaintext {
                Some(expected) => {
                    let ok_one = matches!(&one_shot, Ok(out) if &out.plaintext == expected);
                    let ok_stream = stream_result.is_ok() && &streamed == expected;
                    if ok_one && ok_stream {
                        positive += 1;
                    } else {
                        failures.push(format!(
                            "{folder}/{}: one-shot {:?}, streaming {:?}",
                            case.name,
                            one_shot.as_ref().map(|o| o.plaintext.len()),
                            stream_result
                        ));
                    }
                }
                None => {
                    // These messages' header tags do not verify under the
                    // specification; refusing them for any other reason would
                    // hide a bug.
                    let header_auth = |r: Result<(), &kms_envelope::Error>| {
                        matches!(r, Err(kms_envelope::Error::HeaderAuthentication))
                    };
                    if header_auth(one_shot.as_ref().map(|_| ()))
                        && header_auth(stream_result.as_ref().copied())
                        && streamed.is_empty()
                    {
                        negative += 1;
                    } else {
                        failures.push(format!("{folder}/{}: negative case accepted", case.name));
                    }
                }
            }
        }
    }
    println!(
        "ESDK vectors: {positive} positive decrypted byte for byte, {negative} negative refused (each one-shot and streaming)"
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} vector failures", failures.len());
    assert_eq!(positive, 291);
    assert_eq!(negative, 28);
}
