//! The JSON of the client's KMS calls, without serde: a writer for request
//! bodies and a strict reader for response bodies.
//!
//! The client sends a handful of fixed request shapes and reads a handful of
//! fixed response shapes, so a general-purpose (de)serializer is more code
//! than it saves, above all in the .wasm of the npm package.
//!
//! - [`ObjectWriter`] writes one object of strings, base64 blobs, integers,
//!   string maps and string arrays, escaping strings as serde_json does
//!   (so the bytes are the same as before). It grows by moving to a larger
//!   allocation and wiping the one it leaves, and its output is wiped on
//!   drop: an Encrypt request carries a data key.
//! - [`Reader`] is an RFC 8259 pull parser: objects, arrays, strings with
//!   every escape (surrogate pairs combined, lone surrogates refused),
//!   numbers, `true`, `false`, `null`; input that is not UTF-8, nesting
//!   deeper than [`MAX_DEPTH`] and anything after the value are errors.
//!   It never recurses: unknown members are skipped with an explicit stack
//!   of bounded depth. Numbers are only checked, never converted (no float
//!   code), since no response member the client reads is a number. Strings
//!   that had escapes are unescaped into buffers wiped on drop.
//!
//! A response decoder reads members in any order with [`Reader::next_key`],
//! stores each known one with [`Reader::member`] (a second occurrence is an
//! error, as serde's derived code makes it) and skips the others with
//! [`Reader::skip_value`].
//!
//! ```
//! use kms_client::json::{ObjectWriter, Reader};
//!
//! let mut writer = ObjectWriter::new();
//! writer.string("KeyId", "alias/app").integer("NumberOfBytes", 32);
//! assert_eq!(&writer.finish()[..], br#"{"KeyId":"alias/app","NumberOfBytes":32}"#);
//!
//! let body = br#"{"KeyId": "k\u00e9", "Extra": [1, {"x": null}]}"#;
//! let mut reader = Reader::new(body);
//! let mut key_id = None;
//! reader.begin_object()?;
//! while let Some(name) = reader.next_key()? {
//!     match &*name {
//!         "KeyId" => reader.member("KeyId", &mut key_id, |r| Ok(r.string()?.into_string()))?,
//!         _ => reader.skip_value()?,
//!     }
//! }
//! reader.finish()?;
//! assert_eq!(key_id.as_deref(), Some("ké"));
//! # Ok::<(), kms_client::json::Error>(())
//! ```

use core::fmt;
use core::ops::Deref;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_envelope::detached::WipedBuf;
use zeroize::Zeroizing;

/// The deepest nesting of arrays and objects the reader accepts (the
/// top-level value counts as one level), as serde_json's default limit.
pub const MAX_DEPTH: usize = 127;

/// Why a body is not the JSON expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// The byte offset in the input where it was found.
    pub offset: usize,
    /// The member whose value it is in, if known.
    pub field: Option<&'static str>,
}

/// What is wrong with a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    // Not JSON.
    /// The input ends inside a value.
    Eof,
    /// A byte that cannot come here; what could (e.g. `"',' or '}'"`).
    Expected(&'static str),
    /// A control character (U+0000 to U+001F) unescaped in a string.
    ControlCharacter,
    /// A backslash escape that JSON does not define, or bad `\u` digits.
    InvalidEscape,
    /// A `\u` escape of half a surrogate pair without the other half.
    LoneSurrogate,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A number that breaks JSON's number grammar.
    InvalidNumber,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Something other than whitespace after the value.
    TrailingCharacters,
    // JSON, but not the expected shape.
    /// A value of another type than the one named.
    WrongType(&'static str),
    /// A required member is absent.
    MissingField,
    /// A member appears twice.
    DuplicateField,
    /// A value of the right type that the member does not allow (invalid
    /// base64, an unknown enum value); why.
    InvalidValue(&'static str),
}

impl Error {
    fn at(kind: ErrorKind, offset: usize) -> Self {
        Error {
            kind,
            offset,
            field: None,
        }
    }

    /// This error, as found in the value of member `field` (an error that
    /// already names a member keeps it: it is the innermost one).
    #[must_use]
    pub fn in_field(mut self, field: &'static str) -> Self {
        self.field.get_or_insert(field);
        self
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Eof => f.write_str("unexpected end of input"),
            ErrorKind::Expected(what) => write!(f, "expected {what}"),
            ErrorKind::ControlCharacter => f.write_str("control character in a string"),
            ErrorKind::InvalidEscape => f.write_str("invalid escape"),
            ErrorKind::LoneSurrogate => f.write_str("unpaired surrogate in a \\u escape"),
            ErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
            ErrorKind::InvalidNumber => f.write_str("invalid number"),
            ErrorKind::TooDeep => write!(f, "nested deeper than {MAX_DEPTH} levels"),
            ErrorKind::TrailingCharacters => f.write_str("trailing characters"),
            ErrorKind::WrongType(what) => write!(f, "expected {what}"),
            ErrorKind::MissingField => f.write_str("missing member"),
            ErrorKind::DuplicateField => f.write_str("duplicate member"),
            ErrorKind::InvalidValue(why) => f.write_str(why),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{} `{field}` at byte {}", self.kind, self.offset),
            None => write!(f, "{} at byte {}", self.kind, self.offset),
        }
    }
}

impl std::error::Error for Error {}

/// A string read from JSON: borrowed from the input when it has no escapes,
/// else unescaped into a buffer that is wiped on drop.
pub enum Text<'a> {
    /// The string exactly as in the input.
    Borrowed(&'a str),
    /// The string with its escapes replaced.
    Unescaped(Zeroizing<String>),
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Unescaped(s) => s,
        }
    }
}

impl Text<'_> {
    /// The string, owned (an unescaped one moved, not copied).
    pub fn into_string(self) -> String {
        match self {
            Text::Borrowed(s) => s.to_owned(),
            Text::Unescaped(mut s) => core::mem::take(&mut *s),
        }
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A pull parser over one JSON text.
///
/// Every method returns an [`Error`] for any input rather than panicking,
/// and after an error the reader should be dropped.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    /// Open arrays and objects.
    depth: usize,
    /// Bit `i` set: the container at depth `i + 1` is an object.
    objects: u128,
    /// The innermost container was just opened (no member or element yet).
    fresh: bool,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader {
            input,
            pos: 0,
            depth: 0,
            objects: 0,
            fresh: false,
        }
    }

    /// An error of `kind` at the cursor.
    pub fn error(&self, kind: ErrorKind) -> Error {
        Error::at(kind, self.pos)
    }

    /// The value of required member `name`, read into `slot` (a
    /// [`MissingField`](ErrorKind::MissingField) error if it was absent).
    pub fn required<T>(&self, slot: Option<T>, name: &'static str) -> Result<T, Error> {
        slot.ok_or_else(|| self.error(ErrorKind::MissingField).in_field(name))
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Result<u8, Error> {
        while let Some(&b) = self.input.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Ok(b);
            }
            self.pos += 1;
        }
        Err(self.error(ErrorKind::Eof))
    }

    /// The error for a value of the wrong type at `byte`; "expected a
    /// value" if nothing JSON can start there.
    fn type_error(&self, byte: u8, expected: &'static str) -> Error {
        match byte {
            b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                self.error(ErrorKind::WrongType(expected))
            }
            _ => self.error(ErrorKind::Expected("a value")),
        }
    }

    /// Consumes the `{` or `[` at the cursor.
    fn open(&mut self, object: bool) -> Result<(), Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(ErrorKind::TooDeep));
        }
        if object {
            self.objects |= 1 << self.depth;
        } else {
            self.objects &= !(1 << self.depth);
        }
        self.depth += 1;
        self.pos += 1;
        self.fresh = true;
        Ok(())
    }

    /// Whether the innermost container has another member or element,
    /// consuming the `,` before it or the `close` byte that ends it.
    fn has_next(&mut self, close: u8) -> Result<bool, Error> {
        let byte = self.peek()?;
        if byte == close {
            // `[1,]` and `{"a":1,}` are not JSON: a comma is followed by a
            // value, and the caller's next read reports what is there.
            self.pos += 1;
            self.depth = self.depth.saturating_sub(1);
            self.fresh = false;
            return Ok(false);
        }
        if core::mem::take(&mut self.fresh) {
            return Ok(true);
        }
        if byte == b',' {
            self.pos += 1;
            return Ok(true);
        }
        Err(self.error(ErrorKind::Expected(if close == b'}' {
            "',' or '}'"
        } else {
            "',' or ']'"
        })))
    }

    /// Enters the object at the cursor; read its members with
    /// [`next_key`](Self::next_key).
    pub fn begin_object(&mut self) -> Result<(), Error> {
        match self.peek()? {
            b'{' => self.open(true),
            other => Err(self.type_error(other, "an object")),
        }
    }

    /// The name of the next member of the current object (its value comes
    /// next), or `None` once the object is closed.
    pub fn next_key(&mut self) -> Result<Option<Text<'a>>, Error> {
        if !self.has_next(b'}')? {
            return Ok(None);
        }
        let key = self.key(true)?;
        Ok(Some(key))
    }

    /// Reads a member name and its colon (`decode`: unescaped, else only
    /// checked and returned empty).
    fn key(&mut self, decode: bool) -> Result<Text<'a>, Error> {
        if self.peek()? != b'"' {
            return Err(self.error(ErrorKind::Expected("a string key")));
        }
        let key = self.string_token(decode)?;
        if self.peek()? != b':' {
            return Err(self.error(ErrorKind::Expected("':'")));
        }
        self.pos += 1;
        Ok(key)
    }

    /// Enters the array at the cursor; step through its elements with
    /// [`next_element`](Self::next_element).
    pub fn begin_array(&mut self) -> Result<(), Error> {
        match self.peek()? {
            b'[' => self.open(false),
            other => Err(self.type_error(other, "an array")),
        }
    }

    /// Whether the current array has another element (read it next), or
    /// is closed.
    pub fn next_element(&mut self) -> Result<bool, Error> {
        self.has_next(b']')
    }

    /// Consumes a `null` at the cursor and returns `true`; `false` (and
    /// nothing consumed) if another value is there.
    pub fn null(&mut self) -> Result<bool, Error> {
        if self.peek()? != b'n' {
            return Ok(false);
        }
        self.literal(b"null")?;
        Ok(true)
    }

    /// The string at the cursor.
    pub fn string(&mut self) -> Result<Text<'a>, Error> {
        match self.peek()? {
            b'"' => self.string_token(true),
            other => Err(self.type_error(other, "a string")),
        }
    }

    /// The bytes of the base64 string at the cursor (RFC 4648 with padding,
    /// as AWS sends blobs), decoded into a buffer wiped on drop: blobs carry
    /// data keys and plaintexts.
    pub fn blob(&mut self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let start = self.pos;
        let text = self.string()?;
        let mut bytes = Zeroizing::new(vec![0; base64::decoded_len_estimate(text.len())]);
        let len = STANDARD
            .decode_slice(text.as_bytes(), &mut bytes)
            .map_err(|_| Error::at(ErrorKind::InvalidValue("invalid base64"), start))?;
        bytes.truncate(len);
        Ok(bytes)
    }

    /// Reads the value of member `name` into `slot` with `read`, unless the
    /// member was already read (a [`DuplicateField`](ErrorKind::DuplicateField)
    /// error). Errors of `read` name the member.
    pub fn member<T>(
        &mut self,
        name: &'static str,
        slot: &mut Option<T>,
        read: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<(), Error> {
        if slot.is_some() {
            return Err(self.error(ErrorKind::DuplicateField).in_field(name));
        }
        *slot = Some(read(self).map_err(|e| e.in_field(name))?);
        Ok(())
    }

    /// Skips the value at the cursor, whatever it is, checking that it is
    /// JSON. Iterative: nesting costs no stack.
    pub fn skip_value(&mut self) -> Result<(), Error> {
        let base = self.depth;
        loop {
            match self.peek()? {
                b'{' => self.open(true)?,
                b'[' => self.open(false)?,
                b'"' => drop(self.string_token(false)?),
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return Err(self.error(ErrorKind::Expected("a value"))),
            }
            // Past a value: close the containers it ended, up to the next
            // value to skip.
            loop {
                if self.depth <= base {
                    return Ok(());
                }
                let object = self.objects & (1 << (self.depth - 1)) != 0;
                if self.has_next(if object { b'}' } else { b']' })? {
                    if object {
                        self.key(false)?;
                    }
                    break;
                }
            }
        }
    }

    /// Checks that nothing but whitespace follows the value.
    pub fn finish(mut self) -> Result<(), Error> {
        match self.peek() {
            Err(_) => Ok(()),
            Ok(_) => Err(self.error(ErrorKind::TrailingCharacters)),
        }
    }

    /// Consumes `word` (`true`, `false` or `null`) at the cursor.
    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        for &expected in word {
            match self.input.get(self.pos) {
                None => return Err(self.error(ErrorKind::Eof)),
                Some(&b) if b == expected => self.pos += 1,
                Some(_) => return Err(self.error(ErrorKind::Expected("a value"))),
            }
        }
        Ok(())
    }

    /// Consumes the digits at the cursor; whether there was one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while self.input.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Skips the number at the cursor, checking its grammar only:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<(), Error> {
        if self.input.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.input.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if self.input.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return Err(self.error(ErrorKind::InvalidNumber));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error(ErrorKind::InvalidNumber)),
        }
        if self.input.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !self.digits() {
                return Err(self.error(ErrorKind::InvalidNumber));
            }
        }
        if matches!(self.input.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.input.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.digits() {
                return Err(self.error(ErrorKind::InvalidNumber));
            }
        }
        Ok(())
    }

    /// Reads the string whose `"` is at the cursor. `decode`: its text
    /// (unescaped if needed); else only checked, and returned empty.
    fn string_token(&mut self, decode: bool) -> Result<Text<'a>, Error> {
        let start = self.pos + 1;
        let mut end = start;
        let mut escaped = false;
        loop {
            match self.input.get(end) {
                None => return Err(Error::at(ErrorKind::Eof, end)),
                Some(b'"') => break,
                // The escape is checked below; skipping its first byte is
                // enough to find the closing quote.
                Some(b'\\') => {
                    escaped = true;
                    end += 2;
                }
                Some(&b) if b < 0x20 => return Err(Error::at(ErrorKind::ControlCharacter, end)),
                Some(_) => end += 1,
            }
        }
        let raw = self.input.get(start..end).unwrap_or_default();
        let raw = core::str::from_utf8(raw)
            .map_err(|e| Error::at(ErrorKind::InvalidUtf8, start + e.valid_up_to()))?;
        self.pos = end + 1;
        if !escaped {
            return Ok(Text::Borrowed(if decode { raw } else { "" }));
        }
        if !decode {
            unescape(raw, start, None)?;
            return Ok(Text::Borrowed(""));
        }
        // Unescaping only shortens: one allocation, never moved (no copy
        // left behind unwiped).
        let mut text = Zeroizing::new(String::with_capacity(raw.len()));
        unescape(raw, start, Some(&mut text))?;
        Ok(Text::Unescaped(text))
    }
}

/// Checks the escapes of `raw` (a string's content at byte `base` of the
/// input) and, given `out`, appends the unescaped string to it.
fn unescape(raw: &str, base: usize, mut out: Option<&mut String>) -> Result<(), Error> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut run = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'\\' {
            i += 1;
            continue;
        }
        let (c, len) = escape(bytes, i).map_err(|kind| Error::at(kind, base + i))?;
        if let Some(out) = out.as_deref_mut() {
            // `run..i` lies between ASCII bytes: char boundaries.
            out.push_str(raw.get(run..i).unwrap_or_default());
            out.push(c);
        }
        i += len;
        run = i;
    }
    if let Some(out) = out {
        out.push_str(raw.get(run..).unwrap_or_default());
    }
    Ok(())
}

/// The character of the escape at `bytes[i]` (a backslash) and its length.
fn escape(bytes: &[u8], i: usize) -> Result<(char, usize), ErrorKind> {
    let c = match bytes.get(i + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let high = hex4(bytes, i + 2)?;
            return match high {
                0xD800..=0xDBFF => {
                    if bytes.get(i + 6) != Some(&b'\\') || bytes.get(i + 7) != Some(&b'u') {
                        return Err(ErrorKind::LoneSurrogate);
                    }
                    let low = hex4(bytes, i + 8)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return Err(ErrorKind::LoneSurrogate);
                    }
                    let scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(scalar)
                        .map(|c| (c, 12))
                        .ok_or(ErrorKind::LoneSurrogate)
                }
                _ => char::from_u32(high)
                    .map(|c| (c, 6))
                    .ok_or(ErrorKind::LoneSurrogate),
            };
        }
        _ => return Err(ErrorKind::InvalidEscape),
    };
    Ok((c, 2))
}

/// The four hex digits at `bytes[i..]`.
fn hex4(bytes: &[u8], i: usize) -> Result<u32, ErrorKind> {
    let digits = bytes.get(i..i + 4).ok_or(ErrorKind::InvalidEscape)?;
    digits.iter().try_fold(0, |value, &d| {
        let digit = char::from(d).to_digit(16).ok_or(ErrorKind::InvalidEscape)?;
        Ok(value << 4 | digit)
    })
}

/// A writer of one JSON object, member by member, into a buffer wiped on
/// drop (and on growth).
pub struct ObjectWriter {
    out: WipedBuf,
    empty: bool,
}

impl fmt::Debug for ObjectWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectWriter")
            .field("len", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        let mut writer = ObjectWriter {
            out: WipedBuf::with_capacity(256),
            empty: true,
        };
        writer.push(b"{");
        writer
    }

    /// The body: the object, closed.
    pub fn finish(mut self) -> Zeroizing<Vec<u8>> {
        self.push(b"}");
        self.out.into_zeroizing()
    }

    /// Appends `bytes`. A full buffer moves to one twice as large and the
    /// old allocation is wiped.
    fn push(&mut self, bytes: &[u8]) {
        self.out.extend_within(bytes, usize::MAX);
    }

    /// Writes `"key":`, after a comma unless it is the first member.
    fn key(&mut self, key: &str) {
        if !core::mem::take(&mut self.empty) {
            self.push(b",");
        }
        self.quoted(key);
        self.push(b":");
    }

    /// Writes `text` as a JSON string, escaped as serde_json does: `"`, `\`
    /// and control characters only (the short forms where JSON has them,
    /// else `\u00XX`); everything else, non-ASCII included, as it is.
    fn quoted(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.push(b"\"");
        let bytes = text.as_bytes();
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => b'"',
                b'\\' => b'\\',
                0x08 => b'b',
                0x0c => b'f',
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0x00..=0x1f => 0,
                _ => continue,
            };
            self.push(bytes.get(run..i).unwrap_or_default());
            if short == 0 {
                self.push(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ]);
            } else {
                self.push(&[b'\\', short]);
            }
            run = i + 1;
        }
        self.push(bytes.get(run..).unwrap_or_default());
        self.push(b"\"");
    }

    /// A string member.
    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        self.quoted(value);
        self
    }

    /// A non-negative integer member.
    pub fn integer(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = value;
        loop {
            start -= 1;
            // `rest % 10` is a digit.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (rest % 10) as u8;
            digits[start] = b'0' + digit;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.push(digits.get(start..).unwrap_or_default());
        self
    }

    /// A blob member: `bytes` as a base64 string (RFC 4648, padded), encoded
    /// straight into the body (no copy of a secret elsewhere).
    pub fn blob(&mut self, key: &str, bytes: &[u8]) -> &mut Self {
        self.key(key);
        self.push(b"\"");
        let mut chunks = bytes.chunks_exact(3);
        for chunk in chunks.by_ref() {
            if let [a, b, c] = *chunk {
                self.push(&base64_quad(a, b, c));
            }
        }
        match *chunks.remainder() {
            [a] => {
                let [q0, q1, ..] = base64_quad(a, 0, 0);
                self.push(&[q0, q1, b'=', b'=']);
            }
            [a, b] => {
                let [q0, q1, q2, _] = base64_quad(a, b, 0);
                self.push(&[q0, q1, q2, b'=']);
            }
            _ => {}
        }
        self.push(b"\"");
        self
    }

    /// A member that is an object of strings (an encryption context).
    pub fn string_map<'s>(
        &mut self,
        key: &str,
        entries: impl IntoIterator<Item = (&'s str, &'s str)>,
    ) -> &mut Self {
        self.key(key);
        self.push(b"{");
        for (i, (name, value)) in entries.into_iter().enumerate() {
            if i > 0 {
                self.push(b",");
            }
            self.quoted(name);
            self.push(b":");
            self.quoted(value);
        }
        self.push(b"}");
        self
    }

    /// A member that is an array of strings (grant tokens).
    pub fn string_array<'s>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = &'s str>,
    ) -> &mut Self {
        self.key(key);
        self.push(b"[");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(b",");
            }
            self.quoted(item);
        }
        self.push(b"]");
        self
    }
}

/// Three bytes as four base64 characters.
fn base64_quad(a: u8, b: u8, c: u8) -> [u8; 4] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let n = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
    [18, 12, 6, 0].map(|shift| ALPHABET[(n >> shift & 0x3f) as usize])
}
