//! Reading JavaScript option objects and building result objects.

use core::future::Future;
use core::task::{Context, Poll, Waker};

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use kms_envelope::EncryptionContext;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{JsResult, invalid};
use crate::secret::SecretBytes;

/// A property of `obj` (an object or a function, such as a class with
/// static methods); `None` when absent, `undefined` or `null`.
pub fn get(obj: &JsValue, name: &str) -> Option<JsValue> {
    if !obj.is_object() && !obj.is_function() {
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

/// A Uint8Array over the bytes of a Uint8Array, ArrayBuffer or any
/// ArrayBuffer view: the same memory, not a copy. `None` for anything else.
pub fn byte_view(v: &JsValue) -> Option<Uint8Array> {
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Some(a.clone());
    }
    if v.is_instance_of::<js_sys::ArrayBuffer>() || v.is_instance_of::<js_sys::SharedArrayBuffer>()
    {
        return Some(Uint8Array::new(v));
    }
    if !js_sys::ArrayBuffer::is_view(v) {
        return None;
    }
    let number = |name: &str| {
        Reflect::get(v, &name.into())
            .ok()
            .and_then(|x| x.as_f64())
            .unwrap_or(0.0)
    };
    let buffer = Reflect::get(v, &"buffer".into()).ok()?;
    // ArrayBuffer offsets and lengths are below 2^32 in wasm32.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(Uint8Array::new_with_byte_offset_and_length(
        &buffer,
        number("byteOffset") as u32,
        number("byteLength") as u32,
    ))
}

/// Like [`byte_view`], for a platform AES-GCM: only a view over an
/// ArrayBuffer (WebCrypto refuses SharedArrayBuffer memory).
pub fn platform_view(v: &JsValue) -> Option<Uint8Array> {
    byte_view(v).filter(over_array_buffer)
}

fn over_array_buffer(view: &Uint8Array) -> bool {
    view.buffer().is_instance_of::<js_sys::ArrayBuffer>()
}

/// The bytes of a Uint8Array, ArrayBuffer or ArrayBuffer view, or the UTF-8
/// bytes of a string.
pub fn to_bytes(v: &JsValue, what: &str) -> JsResult<Vec<u8>> {
    if let Some(view) = byte_view(v) {
        return Ok(view.to_vec());
    }
    if let Some(s) = v.as_string() {
        return Ok(s.into_bytes());
    }
    Err(invalid(&format!(
        "`{what}` must be a Uint8Array, an ArrayBuffer or a string"
    )))
}

/// A one-shot plaintext as the caller gave it, read when the call is made:
/// a view of their bytes, or the UTF-8 bytes of a string (in wasm memory,
/// cleared when dropped).
pub enum Input {
    /// The caller's bytes, not copied, and their length at the call.
    View(Uint8Array, usize),
    /// A string's bytes.
    Bytes(SecretBytes),
}

impl Input {
    /// Reads `v`, as [`to_bytes`] accepts it.
    pub fn read(v: &JsValue, what: &str) -> JsResult<Input> {
        if let Some(view) = byte_view(v) {
            let len = view.length() as usize;
            return Ok(Input::View(view, len));
        }
        to_bytes(v, what).map(|bytes| Input::Bytes(SecretBytes::new(bytes)))
    }

    /// Its length in bytes, as given.
    pub fn len(&self) -> usize {
        match self {
            Input::View(_, len) => *len,
            Input::Bytes(bytes) => bytes.len(),
        }
    }

    /// The bytes in wasm memory (a copy of a view).
    pub fn into_bytes(self) -> JsResult<SecretBytes> {
        match self {
            Input::View(view, len) => Ok(SecretBytes::new(live(&view, len)?.to_vec())),
            Input::Bytes(bytes) => Ok(bytes),
        }
    }

    /// Runs `use_array` on a JavaScript array of the bytes that a platform
    /// AES-GCM accepts: the caller's own view when it is over an
    /// ArrayBuffer, else a copy (of a string's bytes, or of a view over a
    /// SharedArrayBuffer, which WebCrypto refuses), zeroed afterwards.
    pub async fn with_array<F>(
        &self,
        use_array: impl FnOnce(Uint8Array) -> F,
    ) -> JsResult<Uint8Array>
    where
        F: core::future::Future<Output = JsResult<Uint8Array>>,
    {
        let copy = match self {
            Input::View(view, len) => {
                let view = live(view, *len)?;
                if over_array_buffer(view) {
                    return use_array(view.clone()).await;
                }
                Uint8Array::new(view)
            }
            Input::Bytes(bytes) => Uint8Array::from(&bytes[..]),
        };
        let result = use_array(copy.clone()).await;
        copy.fill(0, 0, copy.length());
        result
    }
}

/// The caller's `view`, if it still has the length `len` it had at the call
/// (a transferred ArrayBuffer leaves an empty view behind, which must not
/// be encrypted as an empty message).
fn live(view: &Uint8Array, len: usize) -> JsResult<&Uint8Array> {
    if view.length() as usize == len {
        Ok(view)
    } else {
        Err(detached())
    }
}

/// The error for a caller's array whose ArrayBuffer was detached
/// (transferred) while an operation still needed it.
pub fn detached() -> JsValue {
    invalid("the input's ArrayBuffer was detached (transferred) before the operation finished")
}

#[wasm_bindgen]
extern "C" {
    /// A Uint8Array seen through the methods that may throw.
    type ThrowingArray;

    #[wasm_bindgen(method, catch)]
    fn subarray(this: &ThrowingArray, begin: u32, end: u32) -> Result<Uint8Array, JsValue>;
}

/// `array.subarray(begin, end)`, which throws once the array's buffer is
/// detached: then the [`detached`] error, never an exception through wasm.
pub fn subarray(array: &Uint8Array, begin: u32, end: u32) -> JsResult<Uint8Array> {
    array
        .unchecked_ref::<ThrowingArray>()
        .subarray(begin, end)
        .map_err(|_| detached())
}

/// `array` as an array that is the whole of its own ArrayBuffer, to pass
/// on to a consumer: itself if it is (`Kept`), else a copy (`Copied`: the
/// caller zeroes the original). node:crypto returns small outputs as
/// slices of a shared pool, whose other bytes a consumer must not reach
/// through `.buffer`.
pub fn own_array(array: &Uint8Array) -> (Uint8Array, crate::webcrypto::Taken) {
    if array.byte_offset() == 0 && array.buffer().byte_length() == array.length() {
        (array.clone(), crate::webcrypto::Taken::Kept)
    } else {
        (Uint8Array::new(array), crate::webcrypto::Taken::Copied)
    }
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

/// A plain object from an encryption context, every pair an own property:
/// `Object.fromEntries` defines them, where an assignment of a key such as
/// `__proto__` would set the prototype and lose the pair.
pub fn context_object(context: &EncryptionContext) -> Object {
    let entries: Array = context
        .iter()
        .map(|(k, v)| Array::of2(&JsValue::from_str(k), &JsValue::from_str(v)))
        .collect();
    // Cannot throw: every entry is a two-element array.
    Object::from_entries(&entries).unwrap_or_default()
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

/// The promise of `future`. When `eager`, it is polled once now: one that
/// finishes without waiting (a message sealed in wasm or by node:crypto,
/// raw-AES or cached keys) gives an already settled promise, without a
/// task spawned, a microtask queued and the closures of
/// `future_to_promise`; one that waits goes on in a task as usual. Its
/// first poll's waker does nothing, which loses no wake-up: the task polls
/// it again at once, and a future registers the waker of its latest poll.
///
/// Not eager when WebCrypto will read the caller's array across awaits:
/// then, as before, nothing is read until the task runs, so an array
/// transferred just after the call is refused whole (or, for decryption,
/// replaced by the copy made at the call) rather than read in part.
pub fn promise<F>(eager: bool, future: F) -> Promise
where
    F: Future<Output = JsResult<JsValue>> + 'static,
{
    let mut future = Box::pin(future);
    if !eager {
        return wasm_bindgen_futures::future_to_promise(future);
    }
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Ok(value)) => Promise::resolve(&value),
        Poll::Ready(Err(error)) => Promise::reject(&error),
        Poll::Pending => wasm_bindgen_futures::future_to_promise(future),
    }
}
