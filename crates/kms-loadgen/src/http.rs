//! A minimal HTTP/1.1 client: one keep-alive connection, one request in
//! flight, plain TCP.
//!
//! A general client (hyper) costs more CPU per request than this program
//! can spare: the load generator shares the machine's cores with the server
//! it measures, so every microsecond it spends is one the server lacks. The
//! subset here is what KMS endpoints answer with: a status line, headers, and
//! a body delimited by `Content-Length`, chunked encoding, or the end of the
//! connection. Servers that close after each response (HTTP/1.0 style) work;
//! the next request reconnects.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Largest response head (status line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest response body accepted; KMS bodies are a few kilobytes.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Why a request got no HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportError {
    /// The TCP connection could not be opened.
    Connect,
    /// Reading or writing failed, or the peer closed mid-response.
    Io,
    /// The response is not HTTP/1.x as this client understands it.
    Malformed,
    /// No complete response within the request timeout.
    Timeout,
}

impl TransportError {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportError::Connect => "connect",
            TransportError::Io => "io",
            TransportError::Malformed => "malformed-response",
            TransportError::Timeout => "timeout",
        }
    }
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length: n`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// Bytes of the head, including the blank line.
    pub len: usize,
    /// How the body is delimited.
    pub framing: BodyFraming,
    /// Whether the connection cannot be reused after this response.
    pub close: bool,
}

/// Parses a response head from the start of `buf`: `Ok(None)` if it is not
/// complete yet.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, TransportError> {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD {
            Err(TransportError::Malformed)
        } else {
            Ok(None)
        };
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| TransportError::Malformed)?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(TransportError::Malformed),
    };
    let status = parts
        .next()
        .filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(TransportError::Malformed)?;

    let mut length = None;
    let mut chunked = false;
    let mut close = http10;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(TransportError::Malformed)?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value.parse().map_err(|_| TransportError::Malformed)?;
            if length.is_some_and(|m| m != n) {
                return Err(TransportError::Malformed);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            if !chunked {
                return Err(TransportError::Malformed);
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") && http10 {
                    close = false;
                }
            }
        }
    }
    // 1xx, 204 and 304 have no body whatever the headers say.
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        BodyFraming::Length(0)
    } else if chunked {
        BodyFraming::Chunked
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(TransportError::Malformed);
        }
        BodyFraming::Length(n)
    } else {
        close = true;
        BodyFraming::UntilClose
    };
    Ok(Some(Head {
        status,
        len: end + 4,
        framing,
        close,
    }))
}

/// Decodes a complete chunked body at the start of `buf` into `out`:
/// `Ok(Some(consumed))`, or `Ok(None)` if more bytes are needed (then
/// `out` is left as it was). Trailers are skipped.
pub fn decode_chunked(buf: &[u8], out: &mut Vec<u8>) -> Result<Option<usize>, TransportError> {
    let start_len = out.len();
    let mut pos = 0;
    loop {
        let Some(line_end) = find(&buf[pos..], b"\r\n") else {
            out.truncate(start_len);
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[pos..pos + line_end])
            .map_err(|_| TransportError::Malformed)?;
        let size_hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| TransportError::Malformed)?;
        pos += line_end + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(end) = find(&buf[pos..], b"\r\n") else {
                    out.truncate(start_len);
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some(pos));
                }
            }
        }
        if out.len() - start_len + size > MAX_BODY {
            return Err(TransportError::Malformed);
        }
        let Some(chunk) = buf.get(pos..pos + size) else {
            out.truncate(start_len);
            return Ok(None);
        };
        match buf.get(pos + size..pos + size + 2) {
            None => {
                out.truncate(start_len);
                return Ok(None);
            }
            Some(b"\r\n") => {}
            Some(_) => return Err(TransportError::Malformed),
        }
        out.extend_from_slice(chunk);
        pos += size + 2;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A response: status and body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

/// One connection to one server, opened on first use and reopened after
/// the server closes it.
#[derive(Debug)]
pub struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    /// Bytes read past the previous response (none with one request in
    /// flight, unless the server misbehaves) and the current response.
    buf: Vec<u8>,
    /// How many times a connection was (re)opened.
    pub connects: u64,
}

impl Connection {
    /// A connection to `addr`; nothing is opened yet.
    pub fn new(addr: SocketAddr) -> Self {
        Connection {
            addr,
            stream: None,
            buf: Vec::with_capacity(8 * 1024),
            connects: 0,
        }
    }

    async fn connect(&mut self) -> Result<(), TransportError> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|_| TransportError::Connect)?;
        // Requests are one write each; waiting for more is pure latency.
        stream
            .set_nodelay(true)
            .map_err(|_| TransportError::Connect)?;
        self.stream = Some(stream);
        self.buf.clear();
        self.connects += 1;
        Ok(())
    }

    /// Sends `request` (a complete HTTP/1.1 request) and reads the response
    /// into `response`. A request on a reused connection that the server
    /// closed before answering is retried once on a new connection.
    pub async fn round_trip(
        &mut self,
        request: &[u8],
        response: &mut Response,
    ) -> Result<(), TransportError> {
        let reused = self.stream.is_some();
        match self.try_round_trip(request, response).await {
            Err(TransportError::Io) if reused && response.status == 0 => {
                self.stream = None;
                self.try_round_trip(request, response).await
            }
            other => other,
        }
    }

    async fn try_round_trip(
        &mut self,
        request: &[u8],
        response: &mut Response,
    ) -> Result<(), TransportError> {
        response.status = 0;
        response.body.clear();
        if self.stream.is_none() {
            self.connect().await?;
        }
        let result = self.exchange(request, response).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        request: &[u8],
        response: &mut Response,
    ) -> Result<(), TransportError> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(TransportError::Io);
        };
        stream
            .write_all(request)
            .await
            .map_err(|_| TransportError::Io)?;
        let buf = &mut self.buf;
        buf.clear();
        let head = loop {
            if let Some(head) = parse_head(buf)? {
                if (100..200).contains(&head.status) {
                    // An interim response (100 Continue): skip it.
                    buf.drain(..head.len);
                    continue;
                }
                break head;
            }
            if read_more(stream, buf).await? == 0 {
                return Err(TransportError::Io);
            }
        };
        // From here on, a failure is not a stale connection: the server
        // answered, so round_trip must not retry.
        response.status = head.status;
        match head.framing {
            BodyFraming::Length(n) => {
                while buf.len() < head.len + n {
                    if read_more(stream, buf).await? == 0 {
                        return Err(TransportError::Io);
                    }
                }
                response
                    .body
                    .extend_from_slice(&buf[head.len..head.len + n]);
            }
            BodyFraming::Chunked => loop {
                if decode_chunked(&buf[head.len..], &mut response.body)?.is_some() {
                    break;
                }
                if read_more(stream, buf).await? == 0 {
                    return Err(TransportError::Io);
                }
            },
            BodyFraming::UntilClose => {
                while read_more(stream, buf).await? != 0 {
                    if buf.len() > head.len + MAX_BODY {
                        return Err(TransportError::Malformed);
                    }
                }
                response.body.extend_from_slice(&buf[head.len..]);
            }
        }
        if head.close {
            self.stream = None;
        }
        Ok(())
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<usize, TransportError> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8192);
    }
    stream.read_buf(buf).await.map_err(|_| TransportError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_heads() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\ncontent-length: 12\r\n\r\n{\"KeyId\":1}";
        let head = parse_head(raw).unwrap().unwrap();
        assert_eq!(
            head,
            Head {
                status: 200,
                len: raw.len() - 11,
                framing: BodyFraming::Length(12),
                close: false
            }
        );
        assert_eq!(parse_head(&raw[..20]).unwrap(), None);
    }

    #[test]
    fn connection_semantics() {
        let h = |raw: &[u8]| parse_head(raw).unwrap().unwrap();
        assert!(
            h(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").close
        );
        assert!(h(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").close);
        assert!(
            !h(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").close
        );
        let until_close = h(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n");
        assert_eq!(until_close.framing, BodyFraming::UntilClose);
        assert!(until_close.close);
        let chunked =
            h(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(chunked.framing, BodyFraming::Chunked);
        assert_eq!(
            h(b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n").framing,
            BodyFraming::Length(0)
        );
    }

    #[test]
    fn rejects_malformed_heads() {
        for raw in [
            &b"HTTP/2 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 20x OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
        ] {
            assert_eq!(
                parse_head(raw),
                Err(TransportError::Malformed),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        let huge = vec![b'a'; MAX_HEAD + 1];
        assert_eq!(parse_head(&huge), Err(TransportError::Malformed));
    }

    #[test]
    fn decodes_chunked_bodies_incrementally() {
        let raw = b"4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
        let mut out = Vec::new();
        for cut in 0..raw.len() - 4 {
            assert_eq!(decode_chunked(&raw[..cut], &mut out), Ok(None), "cut {cut}");
            assert!(out.is_empty());
        }
        assert_eq!(decode_chunked(raw, &mut out), Ok(Some(raw.len() - 4)));
        assert_eq!(out, b"{\"a\":1}");
        let mut out = Vec::new();
        assert_eq!(
            decode_chunked(b"2\r\nabXY0\r\n\r\n", &mut out),
            Err(TransportError::Malformed)
        );
        assert_eq!(
            decode_chunked(b"zz\r\n", &mut out),
            Err(TransportError::Malformed)
        );
    }

    #[tokio::test]
    async fn round_trips_over_a_socket_and_reconnects_after_close() {
        use tokio::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            // First connection: two keep-alive answers, the second chunked,
            // then a close. Second connection: one HTTP/1.0-style answer.
            let answers: [&[&[u8]]; 2] = [
                &[
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                    b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nbad\r\n0\r\n\r\n",
                ],
                &[b"HTTP/1.0 200 OK\r\n\r\nuntil close"],
            ];
            for conn in answers {
                let (mut s, _) = listener.accept().await.unwrap();
                for answer in conn {
                    let mut req = vec![0u8; 1024];
                    let mut got = 0;
                    while find(&req[..got], b"\r\n\r\n").is_none() {
                        got += s.read(&mut req[got..]).await.unwrap();
                    }
                    s.write_all(answer).await.unwrap();
                }
                s.shutdown().await.unwrap();
            }
        });
        let mut conn = Connection::new(addr);
        let mut resp = Response::default();
        let req = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
        conn.round_trip(req, &mut resp).await.unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));
        conn.round_trip(req, &mut resp).await.unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (400, &b"bad"[..]));
        conn.round_trip(req, &mut resp).await.unwrap();
        assert_eq!(
            (resp.status, resp.body.as_slice()),
            (200, &b"until close"[..])
        );
        assert_eq!(conn.connects, 2);
        server.await.unwrap();
    }
}
