//! Errors as JavaScript `Error` objects with a stable `code`.
//!
//! Every failure reaches JavaScript as an `Error` whose `name` is
//! `KmsEnvelopeError` and whose `code` is one of the core's stable codes
//! (`InvalidCiphertext`, `AccessDenied`, `Throttling`, `NotFound`,
//! `KeyUnavailable`, `EncryptionContextMismatch`, `LimitExceeded`,
//! `InvalidArgument`, ...), so callers branch on `code`, never on messages.

use kms_envelope::Error;
#[cfg(feature = "verify")]
use kms_envelope::kms::KmsError;
use wasm_bindgen::JsValue;

/// The result type of the bindings: errors are JavaScript values.
pub type JsResult<T> = Result<T, JsValue>;

/// A `KmsEnvelopeError` with `code` and `message`.
pub fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("KmsEnvelopeError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &JsValue::from_str(code));
    error.into()
}

/// A caller mistake in options or arguments.
pub fn invalid(message: &str) -> JsValue {
    js_error("InvalidArgument", message)
}

/// The JavaScript error of a core error.
pub fn to_js(error: Error) -> JsValue {
    let code = error.code();
    let e = js_error(code.as_str(), &error.to_string());
    if let Some(kind) = error.kms_error_kind() {
        let _ = js_sys::Reflect::set(&e, &"kmsErrorKind".into(), &format!("{kind:?}").into());
    }
    e
}

/// The JavaScript error of a failed KMS call made outside a keyring
/// (GetPublicKey for `verify`).
#[cfg(feature = "verify")]
pub fn kms_to_js(error: KmsError) -> JsValue {
    let code = kms_envelope::ErrorCode::from(error.kind);
    let e = js_error(code.as_str(), &error.to_string());
    let _ = js_sys::Reflect::set(&e, &"kmsErrorCode".into(), &JsValue::from_str(&error.code));
    e
}
