//! The message header: body (v1 or v2), then header authentication.

use alloc::string::String;
use alloc::vec::Vec;

use crate::context::EncryptionContext;
use crate::error::{Error, FormatError, Limit};
use crate::format::codec::{Reader, put_u16_prefixed};
use crate::materials::EncryptedDataKey;
use crate::suite::{AlgorithmSuite, AlgorithmSuiteId};

/// The message type of format version 1: customer authenticated encrypted
/// data.
pub const MESSAGE_TYPE_V1: u8 = 0x80;

/// How the body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// One block (read only: the format forbids writing it).
    NonFramed,
    /// A sequence of frames ending with a final frame.
    Framed,
}

impl ContentType {
    /// The byte written in the header.
    pub const fn as_u8(self) -> u8 {
        match self {
            ContentType::NonFramed => 0x01,
            ContentType::Framed => 0x02,
        }
    }
}

/// Limits applied while parsing, before the bytes they bound are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// At most this many encrypted data keys (checked when the count is
    /// read).
    pub max_encrypted_data_keys: Option<u16>,
    /// At most this many header bytes, header authentication included.
    pub max_header_size: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        HeaderLimits {
            max_encrypted_data_keys: None,
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
        }
    }
}

/// The default header size limit: 1 MiB holds over a thousand RSA-4096
/// encrypted data keys.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 1 << 20;

/// A parsed (or written) message header. What it says is not authenticated
/// until a decryptor has verified the header tag with the data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    suite: &'static AlgorithmSuite,
    message_id: Vec<u8>,
    encryption_context: EncryptionContext,
    encrypted_data_keys: Vec<EncryptedDataKey>,
    content_type: ContentType,
    frame_length: u32,
    commitment: Option<[u8; AlgorithmSuite::COMMITMENT_LEN]>,
    auth_iv: [u8; AlgorithmSuite::IV_LEN],
    auth_tag: [u8; AlgorithmSuite::TAG_LEN],
    body: Vec<u8>,
}

/// The result of parsing bytes that may hold only part of a header.
pub(crate) enum Partial<T> {
    /// Parsed, using this many bytes.
    Complete(T, usize),
    /// The input ends early; the structure needs at least this many bytes.
    Incomplete(usize),
}

impl Header {
    /// Parses a complete header at the start of `bytes`; returns it and the
    /// number of bytes it occupies. Fails with `Truncated` if `bytes` ends
    /// inside it.
    pub fn parse(bytes: &[u8], limits: &HeaderLimits) -> Result<(Header, usize), Error> {
        match Self::parse_partial(bytes, limits)? {
            Partial::Complete(h, n) => Ok((h, n)),
            Partial::Incomplete(_) => Err(Error::truncated("message header")),
        }
    }

    pub(crate) fn parse_partial(
        bytes: &[u8],
        limits: &HeaderLimits,
    ) -> Result<Partial<Header>, Error> {
        let view = bytes.get(..limits.max_header_size).unwrap_or(bytes);
        let mut r = Reader::new(view);
        match parse_fields(&mut r, limits) {
            Ok(h) => Ok(Partial::Complete(h, r.position())),
            Err(e) => match r.wanted() {
                Some(n) if n > limits.max_header_size => Err(Limit::HeaderSize {
                    max: limits.max_header_size,
                }
                .into()),
                Some(n) => Ok(Partial::Incomplete(n)),
                None => Err(e),
            },
        }
    }

    /// Builds the header of a new framed message and serializes its body;
    /// the authentication fields are set by [`Header::set_auth`].
    pub(crate) fn new_framed(
        suite: &'static AlgorithmSuite,
        message_id: Vec<u8>,
        encryption_context: EncryptionContext,
        encrypted_data_keys: Vec<EncryptedDataKey>,
        frame_length: u32,
        commitment: Option<[u8; AlgorithmSuite::COMMITMENT_LEN]>,
    ) -> Result<Header, Error> {
        let mut h = Header {
            suite,
            message_id,
            encryption_context,
            encrypted_data_keys,
            content_type: ContentType::Framed,
            frame_length,
            commitment,
            auth_iv: [0; AlgorithmSuite::IV_LEN],
            auth_tag: [0; AlgorithmSuite::TAG_LEN],
            body: Vec::new(),
        };
        h.body = h.serialize_body()?;
        Ok(h)
    }

    fn serialize_body(&self) -> Result<Vec<u8>, Error> {
        let v2 = self.suite.message_format_version == 2;
        let mut out = Vec::with_capacity(128);
        out.push(self.suite.message_format_version);
        if !v2 {
            out.push(MESSAGE_TYPE_V1);
        }
        out.extend_from_slice(&self.suite.id.to_be_bytes());
        out.extend_from_slice(&self.message_id);
        let aad = self.encryption_context.serialize()?;
        put_u16_prefixed(&mut out, &aad, "AAD")?;
        let count = u16::try_from(self.encrypted_data_keys.len())
            .map_err(|_| Error::invalid_field("encrypted data key count", "at most 65535"))?;
        if count == 0 {
            return Err(Error::invalid_field(
                "encrypted data key count",
                "at least one encrypted data key",
            ));
        }
        out.extend_from_slice(&count.to_be_bytes());
        for edk in &self.encrypted_data_keys {
            put_u16_prefixed(&mut out, edk.provider_id.as_bytes(), "key provider id")?;
            put_u16_prefixed(&mut out, &edk.provider_info, "key provider info")?;
            put_u16_prefixed(&mut out, &edk.ciphertext, "encrypted data key")?;
        }
        out.push(self.content_type.as_u8());
        if !v2 {
            out.extend_from_slice(&[0, 0, 0, 0]);
            out.push(AlgorithmSuite::IV_LEN as u8);
        }
        out.extend_from_slice(&self.frame_length.to_be_bytes());
        if let Some(c) = &self.commitment {
            out.extend_from_slice(c);
        }
        Ok(out)
    }

    pub(crate) fn set_auth(&mut self, iv: [u8; AlgorithmSuite::IV_LEN], tag: [u8; 16]) {
        self.auth_iv = iv;
        self.auth_tag = tag;
    }

    /// Appends the whole header (body and authentication) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.body);
        if self.suite.message_format_version == 1 {
            out.extend_from_slice(&self.auth_iv);
        }
        out.extend_from_slice(&self.auth_tag);
    }

    /// Length of the whole header in bytes.
    pub fn len(&self) -> usize {
        let iv = if self.suite.message_format_version == 1 {
            AlgorithmSuite::IV_LEN
        } else {
            0
        };
        self.body.len() + iv + AlgorithmSuite::TAG_LEN
    }

    /// Always false: a header has at least its fixed fields.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The message format version (1 or 2).
    pub fn version(&self) -> u8 {
        self.suite.message_format_version
    }

    /// The algorithm suite.
    pub fn suite(&self) -> &'static AlgorithmSuite {
        self.suite
    }

    /// The message id (16 bytes in v1, 32 in v2).
    pub fn message_id(&self) -> &[u8] {
        &self.message_id
    }

    /// The encryption context stored in the message (without the pairs that
    /// were only authenticated).
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }

    /// The encrypted data keys.
    pub fn encrypted_data_keys(&self) -> &[EncryptedDataKey] {
        &self.encrypted_data_keys
    }

    /// Framed or non-framed.
    pub fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// The frame length (0 for non-framed bodies).
    pub fn frame_length(&self) -> u32 {
        self.frame_length
    }

    /// The key commitment of a v2 header.
    pub fn commitment(&self) -> Option<&[u8; AlgorithmSuite::COMMITMENT_LEN]> {
        self.commitment.as_ref()
    }

    /// The header body bytes as written: what the header tag authenticates.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The IV of the header authentication (zero in v2).
    pub fn auth_iv(&self) -> &[u8; AlgorithmSuite::IV_LEN] {
        &self.auth_iv
    }

    /// The header authentication tag.
    pub fn auth_tag(&self) -> &[u8; AlgorithmSuite::TAG_LEN] {
        &self.auth_tag
    }
}

fn parse_fields(r: &mut Reader<'_>, limits: &HeaderLimits) -> Result<Header, Error> {
    let version = r.u8("message header")?;
    if version != 1 && version != 2 {
        return Err(FormatError::UnsupportedVersion(version).into());
    }
    if version == 1 {
        let ty = r.u8("message header")?;
        if ty != MESSAGE_TYPE_V1 {
            return Err(FormatError::UnsupportedType(ty).into());
        }
    }
    let suite_id = r.u16("message header")?;
    let suite = AlgorithmSuiteId::from_u16(suite_id)?.suite();
    if suite.message_format_version != version {
        return Err(FormatError::SuiteVersionMismatch {
            suite: suite_id,
            version,
        }
        .into());
    }
    let message_id = r.take(suite.message_id_len(), "message header")?.to_vec();
    let aad = r.u16_prefixed("message header AAD")?;
    let encryption_context = EncryptionContext::deserialize(aad)?;

    let count = r.u16("encrypted data keys")?;
    if count == 0 {
        return Err(Error::invalid_field(
            "encrypted data key count",
            "at least one encrypted data key",
        ));
    }
    if let Some(max) = limits.max_encrypted_data_keys
        && count > max
    {
        return Err(Limit::EncryptedDataKeys { max, found: count }.into());
    }
    let mut encrypted_data_keys = Vec::new();
    for _ in 0..count {
        let provider_id = r.u16_prefixed("encrypted data keys")?;
        let provider_id = String::from(
            core::str::from_utf8(provider_id)
                .map_err(|_| Error::invalid_field("key provider id", "UTF-8 bytes"))?,
        );
        let provider_info = r.u16_prefixed("encrypted data keys")?.to_vec();
        let ciphertext = r.u16_prefixed("encrypted data keys")?.to_vec();
        encrypted_data_keys.push(EncryptedDataKey {
            provider_id,
            provider_info,
            ciphertext,
        });
    }

    let content_type = match r.u8("message header")? {
        0x01 => ContentType::NonFramed,
        0x02 => ContentType::Framed,
        _ => {
            return Err(Error::invalid_field(
                "content type",
                "0x01 (non-framed) or 0x02 (framed)",
            ));
        }
    };
    if version == 1 {
        if r.array::<4>("message header")? != [0; 4] {
            return Err(Error::invalid_field("reserved", "00 00 00 00"));
        }
        if usize::from(r.u8("message header")?) != AlgorithmSuite::IV_LEN {
            return Err(Error::invalid_field("IV length", "12"));
        }
    }
    let frame_length = r.u32("message header")?;
    match content_type {
        ContentType::Framed if frame_length == 0 => {
            return Err(Error::invalid_field(
                "frame length",
                "a non-zero frame length for framed content",
            ));
        }
        ContentType::NonFramed if frame_length != 0 => {
            return Err(Error::invalid_field(
                "frame length",
                "0 for non-framed content",
            ));
        }
        _ => {}
    }
    let commitment = if suite.commitment {
        Some(r.array::<{ AlgorithmSuite::COMMITMENT_LEN }>("message header")?)
    } else {
        None
    };
    let body = r.consumed().to_vec();
    let auth_iv = if version == 1 {
        r.array::<{ AlgorithmSuite::IV_LEN }>("header authentication")?
    } else {
        [0; AlgorithmSuite::IV_LEN]
    };
    let auth_tag = r.array::<{ AlgorithmSuite::TAG_LEN }>("header authentication")?;
    Ok(Header {
        suite,
        message_id,
        encryption_context,
        encrypted_data_keys,
        content_type,
        frame_length,
        commitment,
        auth_iv,
        auth_tag,
        body,
    })
}
