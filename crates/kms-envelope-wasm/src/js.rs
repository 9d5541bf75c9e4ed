//! Reading JavaScript option objects and building result objects.

use js_sys::{Array, Object, Reflect, Uint8Array};
use kms_envelope::EncryptionContext;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{JsResult, invalid};

/// A property of `obj`; `None` when absent, `undefined` or `null`.
pub fn get(obj: &JsValue, name: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// A string property.
pub fn string(obj: &JsValue, name: &str) -> JsResult<Option<String>> {
    match get(obj, name) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid(&format!("`{name}` must be a string"))),
    }
}

/// A required string property.
pub fn required_string(obj: &JsValue, name: &str) -> JsResult<String> {
    string(obj, name)?.ok_or_else(|| invalid(&format!("`{name}` is required")))
}

/// A non-negative integer property no larger than `max`.
pub fn integer(obj: &JsValue, name: &str, max: u64) -> JsResult<Option<u64>> {
    match get(obj, name) {
        None => Ok(None),
        Some(v) => {
            let n = v
                .as_f64()
                .ok_or_else(|| invalid(&format!("`{name}` must be a number")))?;
            if n.fract() != 0.0 || n < 0.0 || n > max as f64 {
                return Err(invalid(&format!(
                    "`{name}` must be an integer from 0 to {max}"
                )));
            }
            // In range and integral, so exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(Some(n as u64))
        }
    }
}

/// A boolean property.
pub fn boolean(obj: &JsValue, name: &str) -> JsResult<Option<bool>> {
    match get(obj, name) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| invalid(&format!("`{name}` must be a boolean"))),
    }
}

/// A byte property (Uint8Array, ArrayBuffer or any ArrayBuffer view).
pub fn bytes(obj: &JsValue, name: &str) -> JsResult<Option<Vec<u8>>> {
    get(obj, name).map(|v| to_bytes(&v, name)).transpose()
}

/// The bytes of a Uint8Array, ArrayBuffer or ArrayBuffer view.
pub fn to_bytes(v: &JsValue, what: &str) -> JsResult<Vec<u8>> {
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Ok(a.to_vec());
    }
    if v.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(v).to_vec());
    }
    if let Ok(view) = v.clone().dyn_into::<js_sys::DataView>() {
        return Ok(Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset() as u32,
            view.byte_length() as u32,
        )
        .to_vec());
    }
    if js_sys::ArrayBuffer::is_view(v) {
        let buffer = Reflect::get(v, &"buffer".into()).unwrap_or(JsValue::UNDEFINED);
        let offset = Reflect::get(v, &"byteOffset".into())
            .ok()
            .and_then(|x| x.as_f64())
            .unwrap_or(0.0);
        let length = Reflect::get(v, &"byteLength".into())
            .ok()
            .and_then(|x| x.as_f64())
            .unwrap_or(0.0);
        // ArrayBuffer offsets and lengths are below 2^32 in wasm32.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        return Ok(Uint8Array::new_with_byte_offset_and_length(
            &buffer,
            offset as u32,
            length as u32,
        )
        .to_vec());
    }
    if let Some(s) = v.as_string() {
        return Ok(s.into_bytes());
    }
    Err(invalid(&format!(
        "`{what}` must be a Uint8Array, an ArrayBuffer or a string"
    )))
}

/// A string-array property.
pub fn strings(obj: &JsValue, name: &str) -> JsResult<Vec<String>> {
    match get(obj, name) {
        None => Ok(Vec::new()),
        Some(v) => {
            let array = v
                .dyn_ref::<Array>()
                .ok_or_else(|| invalid(&format!("`{name}` must be an array of strings")))?;
            array
                .iter()
                .map(|item| {
                    item.as_string()
                        .ok_or_else(|| invalid(&format!("`{name}` must be an array of strings")))
                })
                .collect()
        }
    }
}

/// An encryption context property: a plain object of string values.
pub fn context(obj: &JsValue, name: &str) -> JsResult<Option<EncryptionContext>> {
    let Some(v) = get(obj, name) else {
        return Ok(None);
    };
    let entries = Object::entries(
        v.dyn_ref::<Object>()
            .ok_or_else(|| invalid(&format!("`{name}` must be an object of strings")))?,
    );
    let mut pairs = Vec::with_capacity(entries.length() as usize);
    for entry in entries.iter() {
        let entry = Array::from(&entry);
        let key = entry.get(0).as_string().unwrap_or_default();
        let value = entry
            .get(1)
            .as_string()
            .ok_or_else(|| invalid(&format!("`{name}.{key}` must be a string")))?;
        pairs.push((key, value));
    }
    EncryptionContext::from_caller(pairs)
        .map(Some)
        .map_err(crate::error::to_js)
}

/// A plain object from an encryption context.
pub fn context_object(context: &EncryptionContext) -> Object {
    let obj = Object::new();
    for (k, v) in context.iter() {
        set(&obj, k, &JsValue::from_str(v));
    }
    obj
}

/// Sets a property (on a fresh plain object this cannot fail).
pub fn set(obj: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(name), value);
}

/// A fresh Uint8Array copy of `bytes`.
pub fn uint8array(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// The bytes of `parts`, one after the other, copied into wasm memory.
pub fn concat(parts: &[Uint8Array]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.length() as usize).sum());
    for part in parts {
        let at = bytes.len();
        bytes.resize(at + part.length() as usize, 0);
        part.copy_to(&mut bytes[at..]);
    }
    bytes
}

/// The JavaScript global object (window, worker scope, Node or Deno).
pub fn global() -> Object {
    js_sys::global()
}

/// Milliseconds since the epoch, from `Date.now()`.
pub fn now_millis() -> f64 {
    js_sys::Date::now()
}
