//! Keyrings from JavaScript descriptions: `{ type: "kms", generatorKeyId,
//! keyIds }`, `{ type: "kms-discovery", discoveryFilter }`, `{ type:
//! "kms-mrk" }`, `{ type: "kms-mrk-discovery" }`, `{ type: "kms-rsa" }`,
//! `{ type: "raw-aes" }`, `{ type: "raw-rsa" }` and `{ type: "multi",
//! generator, children }`.

use js_sys::Array;
use kms_envelope::keyring::{Keyring, MultiKeyring, RawAesKeyring};
use kms_envelope::kms::{
    DiscoveryFilter, KmsClient, KmsDiscoveryKeyring, KmsMrkDiscoveryKeyring, kms_mrk_multi_keyring,
    kms_multi_keyring,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{JsResult, invalid, to_js};
use crate::fetch::FetchClients;
use crate::js;

/// How deep `multi` keyrings may nest: descriptions come from callers.
const MAX_DEPTH: u32 = 8;

/// Builds the keyring `config` describes; KMS keyrings get their clients
/// from `clients` (an error if the session has no KMS settings).
pub fn build(config: &JsValue, clients: Option<&FetchClients>) -> JsResult<Box<dyn Keyring>> {
    build_at(config, clients, 0)
}

fn need_clients<'a>(clients: Option<&'a FetchClients>, kind: &str) -> JsResult<&'a FetchClients> {
    clients.ok_or_else(|| {
        invalid(&format!(
            "a `{kind}` keyring needs the session's `region` and `credentials`"
        ))
    })
}

fn client_for(
    clients: &FetchClients,
    region: Option<&str>,
) -> JsResult<std::rc::Rc<dyn KmsClient>> {
    clients
        .get(region)
        .map(|c| c as std::rc::Rc<dyn KmsClient>)
        .map_err(|e| invalid(&e.message))
}

fn build_at(
    config: &JsValue,
    clients: Option<&FetchClients>,
    depth: u32,
) -> JsResult<Box<dyn Keyring>> {
    if depth > MAX_DEPTH {
        return Err(invalid("keyrings nest too deeply"));
    }
    if !config.is_object() {
        return Err(invalid("a keyring must be an object with a `type`"));
    }
    let kind = js::required_string(config, "type")?;
    let grant_tokens = js::strings(config, "grantTokens")?;
    match kind.as_str() {
        "kms" | "kms-mrk" => {
            let clients = need_clients(clients, &kind)?;
            let generator = js::string(config, "generatorKeyId")?;
            let additional = js::strings(config, "keyIds")?;
            let additional: Vec<&str> = additional.iter().map(String::as_str).collect();
            let keyring = if kind == "kms" {
                kms_multi_keyring(generator.as_deref(), &additional, clients, &grant_tokens)
            } else {
                kms_mrk_multi_keyring(generator.as_deref(), &additional, clients, &grant_tokens)
            };
            Ok(Box::new(keyring.map_err(to_js)?))
        }
        "kms-discovery" | "kms-mrk-discovery" => {
            let clients = need_clients(clients, &kind)?;
            let client = client_for(clients, js::string(config, "region")?.as_deref())?;
            let filter = match js::get(config, "discoveryFilter") {
                None => None,
                Some(f) => Some(
                    DiscoveryFilter::new(
                        js::required_string(&f, "partition")?,
                        js::strings(&f, "accountIds")?,
                    )
                    .map_err(to_js)?,
                ),
            };
            if kind == "kms-discovery" {
                Ok(Box::new(KmsDiscoveryKeyring::new(
                    client,
                    filter,
                    grant_tokens,
                )))
            } else {
                Ok(Box::new(
                    KmsMrkDiscoveryKeyring::new(client, filter, grant_tokens).map_err(to_js)?,
                ))
            }
        }
        #[cfg(feature = "rsa")]
        "kms-rsa" => rsa::kms_rsa(config, need_clients(clients, &kind)?, grant_tokens),
        #[cfg(feature = "rsa")]
        "raw-rsa" => rsa::raw_rsa(config),
        "raw-aes" => {
            let key = js::bytes(config, "wrappingKey")?
                .ok_or_else(|| invalid("`wrappingKey` is required"))?;
            let key = zeroize::Zeroizing::new(key);
            Ok(Box::new(
                RawAesKeyring::new(
                    &js::required_string(config, "keyNamespace")?,
                    &js::required_string(config, "keyName")?,
                    &key,
                )
                .map_err(to_js)?,
            ))
        }
        "multi" => {
            let generator = js::get(config, "generator")
                .map(|g| build_at(&g, clients, depth + 1))
                .transpose()?;
            let children = match js::get(config, "children") {
                None => Vec::new(),
                Some(list) => list
                    .dyn_ref::<Array>()
                    .ok_or_else(|| invalid("`children` must be an array of keyrings"))?
                    .iter()
                    .map(|c| build_at(&c, clients, depth + 1))
                    .collect::<JsResult<Vec<_>>>()?,
            };
            Ok(Box::new(
                MultiKeyring::new(generator, children).map_err(to_js)?,
            ))
        }
        other => Err(invalid(&format!(
            "unknown keyring type {other:?} (expected kms, kms-mrk, kms-discovery, \
             kms-mrk-discovery, kms-rsa, raw-aes, raw-rsa or multi)"
        ))),
    }
}

#[cfg(feature = "rsa")]
mod rsa {
    use kms_envelope::keyring::{Keyring, RawRsaKeyring, RsaPadding};
    use kms_envelope::kms::{KmsRsaAlgorithm, KmsRsaKeyring};
    use wasm_bindgen::JsValue;

    use super::client_for;
    use crate::error::{JsResult, invalid, to_js};
    use crate::fetch::FetchClients;
    use crate::js;

    /// A key given as PEM text or DER bytes.
    enum KeyData {
        Pem(zeroize::Zeroizing<String>),
        Der(zeroize::Zeroizing<Vec<u8>>),
    }

    fn key_data(config: &JsValue, name: &str) -> JsResult<Option<KeyData>> {
        match js::get(config, name) {
            None => Ok(None),
            Some(v) => match v.as_string() {
                Some(pem) => Ok(Some(KeyData::Pem(zeroize::Zeroizing::new(pem)))),
                None => Ok(Some(KeyData::Der(zeroize::Zeroizing::new(js::to_bytes(
                    &v, name,
                )?)))),
            },
        }
    }

    pub fn kms_rsa(
        config: &JsValue,
        clients: &FetchClients,
        grant_tokens: Vec<String>,
    ) -> JsResult<Box<dyn Keyring>> {
        let key_arn = js::required_string(config, "keyId")?;
        let algorithm = KmsRsaAlgorithm::from_name(
            &js::string(config, "encryptionAlgorithm")?
                .unwrap_or_else(|| "RSAES_OAEP_SHA_256".to_owned()),
        )
        .map_err(to_js)?;
        let region = kms_envelope::kms::KmsArn::parse(&key_arn)
            .map(|arn| arn.region().to_owned())
            .ok();
        let client = client_for(clients, region.as_deref())?;
        let mut keyring = KmsRsaKeyring::new(&key_arn, algorithm)
            .map_err(to_js)?
            .with_client(client)
            .with_grant_tokens(grant_tokens);
        keyring = match key_data(config, "publicKey")? {
            None => keyring,
            Some(KeyData::Pem(pem)) => keyring.with_public_key_pem(&pem).map_err(to_js)?,
            Some(KeyData::Der(der)) => keyring.with_public_key_der(&der).map_err(to_js)?,
        };
        Ok(Box::new(keyring))
    }

    pub fn raw_rsa(config: &JsValue) -> JsResult<Box<dyn Keyring>> {
        let namespace = js::required_string(config, "keyNamespace")?;
        let name = js::required_string(config, "keyName")?;
        let padding = match js::string(config, "padding")?.as_deref() {
            None | Some("OAEP_SHA256") | Some("oaep-sha256") => RsaPadding::OaepSha256,
            Some("OAEP_SHA1") | Some("oaep-sha1") => RsaPadding::OaepSha1,
            Some("OAEP_SHA384") | Some("oaep-sha384") => RsaPadding::OaepSha384,
            Some("OAEP_SHA512") | Some("oaep-sha512") => RsaPadding::OaepSha512,
            Some("PKCS1") | Some("pkcs1") => RsaPadding::Pkcs1,
            Some(other) => {
                return Err(invalid(&format!(
                    "unknown RSA padding {other:?} (expected OAEP_SHA1, OAEP_SHA256, \
                     OAEP_SHA384, OAEP_SHA512 or PKCS1)"
                )));
            }
        };
        let keyring = match (
            key_data(config, "privateKey")?,
            key_data(config, "publicKey")?,
        ) {
            (Some(KeyData::Pem(pem)), _) => {
                RawRsaKeyring::from_private_key_pem(&namespace, &name, padding, &pem)
            }
            (Some(KeyData::Der(der)), _) => {
                RawRsaKeyring::from_private_key_der(&namespace, &name, padding, &der)
            }
            (None, Some(KeyData::Pem(pem))) => {
                RawRsaKeyring::from_public_key_pem(&namespace, &name, padding, &pem)
            }
            (None, Some(KeyData::Der(der))) => {
                RawRsaKeyring::from_public_key_der(&namespace, &name, padding, &der)
            }
            (None, None) => {
                return Err(invalid(
                    "a raw RSA keyring needs `privateKey` or `publicKey`",
                ));
            }
        };
        Ok(Box::new(keyring.map_err(to_js)?))
    }
}
