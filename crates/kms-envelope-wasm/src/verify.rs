//! `Session.verify`: KMS signatures checked locally with the key's public
//! key, fetched through GetPublicKey once per key per session.

use std::rc::Rc;

use js_sys::{Object, Promise, Uint8Array};
use kms_envelope::Error;
use kms_envelope::verify::{Message, PublicKey, SigningAlgorithm};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::error::{JsResult, invalid, kms_to_js, to_js};
use crate::fetch::bump;
use crate::js;
use crate::session::Inner;

async fn public_key(
    inner: &Inner,
    key_id: &str,
    given: Option<Vec<u8>>,
) -> JsResult<Rc<PublicKey>> {
    if let Some(der) = given {
        return PublicKey::from_der(&der).map(Rc::new).map_err(to_js);
    }
    if let Some(key) = inner.public_keys.borrow().get(key_id) {
        bump(&inner.public_key_hits);
        return Ok(Rc::clone(key));
    }
    bump(&inner.public_key_misses);
    let clients = inner.clients.as_ref().ok_or_else(|| {
        invalid("verify needs `publicKey` or the session's `region` and `credentials`")
    })?;
    let region = kms_envelope::kms::KmsArn::parse(key_id)
        .ok()
        .map(|arn| arn.region().to_owned());
    let client = clients
        .get(region.as_deref())
        .map_err(|e| invalid(&e.message))?;
    let response = kms_envelope::kms::KmsClient::get_public_key(client.as_ref(), key_id, &[])
        .await
        .map_err(kms_to_js)?;
    let key = Rc::new(PublicKey::from_der(&response.public_key).map_err(to_js)?);
    let mut cache = inner.public_keys.borrow_mut();
    // Bounded: a session verifies with a handful of keys; drop all if a
    // caller cycles through thousands.
    if cache.len() >= 1024 {
        cache.clear();
    }
    cache.insert(key_id.to_owned(), Rc::clone(&key));
    if response.key_id != key_id {
        cache.insert(response.key_id, Rc::clone(&key));
    }
    Ok(key)
}

/// `Session.verify`.
pub fn verify(inner: Rc<Inner>, request: JsValue) -> Promise {
    future_to_promise(async move {
        let key_id = js::string(&request, "keyId")?.unwrap_or_default();
        let given = js::bytes(&request, "publicKey")?;
        if key_id.is_empty() && given.is_none() {
            return Err(invalid("verify needs `keyId` or `publicKey`"));
        }
        let algorithm =
            SigningAlgorithm::from_kms_name(&js::required_string(&request, "signingAlgorithm")?)
                .map_err(to_js)?;
        let message =
            js::bytes(&request, "message")?.ok_or_else(|| invalid("`message` is required"))?;
        let signature =
            js::bytes(&request, "signature")?.ok_or_else(|| invalid("`signature` is required"))?;
        let message = match js::string(&request, "messageType")?.as_deref() {
            None | Some("RAW") => Message::Raw(&message),
            Some("DIGEST") => Message::Digest(&message),
            Some("EXTERNAL_MU") => Message::ExternalMu(&message),
            Some(other) => {
                return Err(invalid(&format!(
                    "`messageType` must be RAW, DIGEST or EXTERNAL_MU, not {other:?}"
                )));
            }
        };
        let key = public_key(&inner, &key_id, given).await?;
        let valid = match key.verify(algorithm, message, &signature) {
            Ok(()) => true,
            Err(Error::SignatureInvalid) => false,
            Err(e) => return Err(to_js(e)),
        };
        let out = Object::new();
        js::set(&out, "valid", &valid.into());
        js::set(&out, "keyId", &key_id.into());
        Ok(out.into())
    })
}

/// `sm2Digest(publicKey, message, distinguishingId?)`: the digest that KMS
/// `Sign` takes for an SM2 key with `MessageType: "DIGEST"`, SM3(Z ||
/// message), where Z hashes the key, the curve and a distinguishing ID: by
/// default the one KMS signs `RAW` messages with (`1234567812345678`), or
/// the caller's (a string, as UTF-8, or bytes; at most 8,191 bytes), whose
/// signatures then verify as this `DIGEST`. KMS signs at most 4,096 bytes
/// as `RAW`, and a JavaScript runtime has no SM3: this is how larger
/// messages get signed. `InvalidKey` for a key that is not DER SPKI,
/// `InvalidArgument` for one that is not SM2 or an ID that is too long.
/// Typed in `types.d.ts`, where the ID can be optional.
#[wasm_bindgen(js_name = sm2Digest, skip_typescript)]
pub fn sm2_digest(
    #[wasm_bindgen(js_name = publicKey)] public_key: JsValue,
    message: JsValue,
    #[wasm_bindgen(js_name = distinguishingId)] distinguishing_id: Option<JsValue>,
) -> JsResult<Uint8Array> {
    let key = PublicKey::from_der(&js::to_bytes(&public_key, "publicKey")?).map_err(to_js)?;
    let message = js::to_bytes(&message, "message")?;
    let digest = match distinguishing_id {
        None => key.sm2_digest(&message),
        Some(id) => key.sm2_digest_with_id(&message, &js::to_bytes(&id, "distinguishingId")?),
    }
    .map_err(to_js)?;
    Ok(Uint8Array::from(&digest[..]))
}
