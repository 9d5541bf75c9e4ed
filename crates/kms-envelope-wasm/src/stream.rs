//! Web Streams: ReadableStream in, ReadableStream out, pulled one input
//! chunk at a time so memory stays one frame whatever the size.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use kms_envelope::{EncryptionContext, Encryptor, HeaderReader, PlaintextPiece, ReadHeader};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use crate::error::{JsResult, invalid, to_js};
use crate::js;
use crate::session::{Inner, decrypt_options, encrypt_options, key_ids, suite_name};
use crate::webcrypto::{DecryptDriver, EncryptDriver, Released};

/// The reader of an input ReadableStream.
struct Input {
    reader: JsValue,
    read: Function,
}

impl Input {
    fn new(stream: &JsValue) -> JsResult<Input> {
        let get_reader = Reflect::get(stream, &"getReader".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| invalid("the input must be a ReadableStream"))?;
        let reader = get_reader.call0(stream)?;
        let read = Reflect::get(&reader, &"read".into())?
            .dyn_into::<Function>()
            .map_err(|_| invalid("the input stream's reader has no read()"))?;
        Ok(Input { reader, read })
    }

    /// The next chunk, `None` at the end.
    async fn next(&self) -> JsResult<Option<Vec<u8>>> {
        let result = JsFuture::from(Promise::from(self.read.call0(&self.reader)?)).await?;
        if js::boolean(&result, "done")?.unwrap_or(false) {
            return Ok(None);
        }
        let value = js::get(&result, "value").unwrap_or(JsValue::UNDEFINED);
        value
            .dyn_ref::<Uint8Array>()
            .map(|a| Some(a.to_vec()))
            .ok_or_else(|| invalid("stream chunks must be Uint8Array"))
    }

    fn cancel(&self, reason: &JsValue) {
        if let Some(cancel) = Reflect::get(&self.reader, &"cancel".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            // The promise's outcome does not matter once we are failing.
            let _ = cancel.call1(&self.reader, reason);
        }
    }
}

/// What one step of a stream produced.
enum Step {
    /// Bytes to enqueue (possibly none yet): from wasm memory, then the
    /// platform's plaintext arrays.
    Output(Vec<u8>, Vec<Uint8Array>),
    /// Plaintext of a signed message, released once its signature verified.
    Piece(Held),
    /// The stream is complete.
    Done,
}

/// A piece of a signed message's verified plaintext, waiting to be pulled.
enum Held {
    Wasm(PlaintextPiece),
    Array(Uint8Array),
}

enum Machine {
    Encrypt(Option<EncryptDriver>),
    DecryptHeader(Option<HeaderReader>),
    DecryptBody(Option<DecryptDriver>),
    Finished,
}

struct StreamState {
    inner: Rc<Inner>,
    input: Input,
    machine: Machine,
    progress: Option<Function>,
    on_header: Option<Function>,
    processed: f64,
    /// The verified plaintext of a signed message, one piece per pull.
    pending: VecDeque<Held>,
}

impl Drop for StreamState {
    /// Verified plaintext never pulled (the stream was cancelled or
    /// dropped): the platform's arrays are zeroed, as the wasm pieces are.
    fn drop(&mut self) {
        for held in &self.pending {
            if let Held::Array(array) = held {
                array.fill(0, 0, array.length());
            }
        }
    }
}

impl StreamState {
    async fn step(&mut self) -> JsResult<Step> {
        if let Some(piece) = self.pending.pop_front() {
            return Ok(Step::Piece(piece));
        }
        if matches!(self.machine, Machine::Finished) {
            return Ok(Step::Done);
        }
        let chunk = self.input.next().await?;
        let mut out = Vec::new();
        let mut arrays = Vec::new();
        match (&mut self.machine, chunk) {
            (Machine::Encrypt(e), Some(data)) => {
                if let Some(e) = e.as_mut() {
                    arrays.extend(e.update_chunk(&data).await?);
                }
                self.report(data.len());
            }
            (Machine::Encrypt(e), None) => {
                if let Some(e) = e.take() {
                    arrays.extend(e.finish_chunk().await?);
                }
                self.machine = Machine::Finished;
            }
            (Machine::DecryptHeader(reader), Some(data)) => {
                let reader = reader
                    .take()
                    .ok_or_else(|| invalid("stream used after an error"))?;
                let mut rest: &[u8] = &data;
                match reader.read(&mut rest).map_err(to_js)? {
                    ReadHeader::NeedMore(r) => self.machine = Machine::DecryptHeader(Some(r)),
                    ReadHeader::Parsed(parsed) => {
                        if let Some(f) = &self.on_header {
                            let info = Object::new();
                            js::set(
                                &info,
                                "algorithmSuite",
                                &suite_name(parsed.suite().id).into(),
                            );
                            js::set(
                                &info,
                                "encryptionContext",
                                &js::context_object(parsed.encryption_context()),
                            );
                            js::set(&info, "keyIds", &key_ids(parsed.header()));
                            js::set(
                                &info,
                                "frameLength",
                                &f64::from(parsed.frame_length()).into(),
                            );
                            f.call1(&JsValue::UNDEFINED, &info)?;
                        }
                        let body = parsed
                            .obtain_materials(self.inner.manager.as_ref())
                            .await
                            .map_err(to_js)?;
                        let mut body =
                            DecryptDriver::for_stream(body, &self.inner.platform).await?;
                        body.update(rest, &mut out, &mut arrays).await?;
                        self.machine = Machine::DecryptBody(Some(body));
                    }
                }
                self.report(data.len());
            }
            (Machine::DecryptHeader(_), None) => {
                self.machine = Machine::Finished;
                return Err(to_js(kms_envelope::Error::TruncatedMessage));
            }
            (Machine::DecryptBody(body), Some(data)) => {
                if let Some(b) = body.as_mut() {
                    b.update(&data, &mut out, &mut arrays).await?;
                }
                self.report(data.len());
            }
            (Machine::DecryptBody(body), None) => {
                if let Some(b) = body.take() {
                    self.pending = match b.finish()? {
                        Released::Pieces(pieces) => pieces.into_iter().map(Held::Wasm).collect(),
                        Released::Arrays(arrays) => arrays.into_iter().map(Held::Array).collect(),
                    };
                }
                self.machine = Machine::Finished;
                if let Some(piece) = self.pending.pop_front() {
                    return Ok(Step::Piece(piece));
                }
            }
            (Machine::Finished, _) => return Ok(Step::Done),
        }
        Ok(Step::Output(out, arrays))
    }

    /// Nothing more to enqueue.
    fn is_done(&self) -> bool {
        matches!(self.machine, Machine::Finished) && self.pending.is_empty()
    }

    fn report(&mut self, n: usize) {
        self.processed += n as f64;
        if let Some(f) = &self.progress {
            let _ = f.call1(&JsValue::UNDEFINED, &self.processed.into());
        }
    }
}

/// Calls `controller[method](arg)`.
fn call_controller(controller: &JsValue, method: &str, arg: Option<&JsValue>) {
    if let Some(f) = Reflect::get(controller, &method.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    {
        let _ = match arg {
            Some(a) => f.call1(controller, a),
            None => f.call0(controller),
        };
    }
}

/// A ReadableStream pulling from `state`.
fn readable(state: StreamState) -> JsResult<JsValue> {
    let state = Rc::new(RefCell::new(Some(state)));
    let pull_state = Rc::clone(&state);
    let pull = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |controller: JsValue| {
        let state = Rc::clone(&pull_state);
        future_to_promise(async move {
            // Streams never call pull again before its promise settles.
            let Some(mut s) = state.borrow_mut().take() else {
                call_controller(&controller, "close", None);
                return Ok(JsValue::UNDEFINED);
            };
            loop {
                let chunks = match s.step().await {
                    Ok(Step::Output(bytes, arrays)) if bytes.is_empty() && arrays.is_empty() => {
                        if s.is_done() {
                            call_controller(&controller, "close", None);
                            return Ok(JsValue::UNDEFINED);
                        }
                        continue;
                    }
                    Ok(Step::Output(bytes, mut arrays)) => {
                        if !bytes.is_empty() {
                            arrays.insert(0, js::uint8array(&bytes));
                        }
                        arrays
                    }
                    Ok(Step::Piece(Held::Wasm(piece))) => vec![js::uint8array(&piece)],
                    Ok(Step::Piece(Held::Array(array))) => vec![array],
                    Ok(Step::Done) => {
                        call_controller(&controller, "close", None);
                        return Ok(JsValue::UNDEFINED);
                    }
                    Err(e) => {
                        s.input.cancel(&e);
                        // The state is dropped: nothing more comes out.
                        return Err(e);
                    }
                };
                for chunk in chunks {
                    call_controller(&controller, "enqueue", Some(&chunk.into()));
                }
                if s.is_done() {
                    call_controller(&controller, "close", None);
                } else {
                    *state.borrow_mut() = Some(s);
                }
                return Ok(JsValue::UNDEFINED);
            }
        })
    });
    let cancel_state = Rc::clone(&state);
    let cancel = Closure::<dyn FnMut(JsValue)>::new(move |reason: JsValue| {
        if let Some(s) = cancel_state.borrow_mut().take() {
            s.input.cancel(&reason);
        }
    });
    let source = Object::new();
    js::set(&source, "pull", &pull.into_js_value());
    js::set(&source, "cancel", &cancel.into_js_value());
    let ctor = Reflect::get(&js::global(), &"ReadableStream".into())?
        .dyn_into::<Function>()
        .map_err(|_| invalid("this runtime has no ReadableStream"))?;
    Reflect::construct(&ctor, &js_sys::Array::of1(&source))
}

fn callback(options: &JsValue, name: &str) -> JsResult<Option<Function>> {
    match js::get(options, name) {
        None => Ok(None),
        Some(f) => f
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| invalid(&format!("`{name}` must be a function"))),
    }
}

/// `Session.encryptStream`.
pub fn encrypt_stream(inner: Rc<Inner>, input: JsValue, options: JsValue) -> Promise {
    future_to_promise(async move {
        let opts = encrypt_options(&inner.encrypt_defaults, &options)?;
        let context: EncryptionContext =
            js::context(&options, "encryptionContext")?.unwrap_or_default();
        let progress = callback(&options, "onProgress")?;
        let input = Input::new(&input)?;
        let encryptor = Encryptor::new(inner.manager.as_ref(), &context, &opts)
            .await
            .map_err(to_js)?;
        let driver = EncryptDriver::for_stream(encryptor, &inner.platform).await?;
        readable(StreamState {
            inner,
            input,
            machine: Machine::Encrypt(Some(driver)),
            progress,
            on_header: None,
            processed: 0.0,
            pending: VecDeque::new(),
        })
    })
}

/// `Session.decryptStream`.
pub fn decrypt_stream(inner: Rc<Inner>, input: JsValue, options: JsValue) -> JsResult<JsValue> {
    let mut opts = decrypt_options(&inner.decrypt_defaults, &options)?;
    // Signed messages: frames (each authenticated by its own tag) flow out
    // before the footer's signature is checked, so memory stays flat; the
    // caller must discard everything when the stream errors at the end.
    if let Some(release) = js::boolean(&options, "releaseUnverifiedPlaintext")? {
        opts.release_unverified_plaintext = release;
    }
    let progress = callback(&options, "onProgress")?;
    let on_header = callback(&options, "onHeader")?;
    let input = Input::new(&input)?;
    readable(StreamState {
        inner,
        input,
        machine: Machine::DecryptHeader(Some(HeaderReader::new(opts))),
        progress,
        on_header,
        processed: 0.0,
        pending: VecDeque::new(),
    })
}
