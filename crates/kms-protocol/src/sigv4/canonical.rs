//! The canonical request: one implementation for signer and verifier.

use core::fmt::Write as _;

use super::{ALGORITHM, sha256_hex};

/// Splits a request target (`/path?query`) at the first `?`.
///
/// ```
/// # use kms_protocol::sigv4::split_path_and_query;
/// assert_eq!(split_path_and_query("/a/b?x=1&y"), ("/a/b", "x=1&y"));
/// assert_eq!(split_path_and_query("/"), ("/", ""));
/// ```
pub fn split_path_and_query(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `bytes` percent-encoded per RFC 3986 (uppercase hex), leaving
/// unreserved characters, and `/` when `keep_slash`, as they are.
fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a query-string component: `%XX` escapes, and `+` as a space (as
/// HTML forms, botocore's `AWSRequest` and the Rust SDK's signer read it;
/// a literal plus travels as `%2B`). A `%` not followed by two hex digits
/// stays literal.
fn query_decode(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(hi), Some(lo)) = (hex_value(b[i + 1]), hex_value(b[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    out
}

/// The canonical URI of a request path.
///
/// With `normalize`, empty and `.` segments are dropped and `..` removes the
/// segment before it (a trailing `/` is kept); an empty path becomes `/`.
/// With `uri_encode`, every byte but the unreserved ones and `/` is then
/// percent-encoded — applied to a path that is already percent-encoded on
/// the wire, this is the "double encoding" every service but S3 expects.
/// Without it, the path is used as given (S3: the wire form is canonical).
pub fn canonical_uri_path(path: &str, normalize: bool, uri_encode: bool) -> String {
    let normalized;
    let path = if normalize {
        let mut segments: Vec<&str> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                s => segments.push(s),
            }
        }
        let mut out = String::with_capacity(path.len() + 1);
        for s in &segments {
            out.push('/');
            out.push_str(s);
        }
        if out.is_empty() || path.ends_with('/') {
            out.push('/');
        }
        normalized = out;
        normalized.as_str()
    } else {
        path
    };
    let path = if path.is_empty() { "/" } else { path };
    if uri_encode {
        let mut out = String::with_capacity(path.len() * 3 / 2);
        encode_into(&mut out, path.as_bytes(), true);
        out
    } else {
        path.to_owned()
    }
}

/// The canonical query string: each `name=value` pair decoded (`%XX`, and
/// `+` as a space) then re-encoded per RFC 3986 (space as `%20`), pairs sorted by name then value, joined by `&`.
/// A parameter without `=` gets an empty value; empty parameters
/// (`a=1&&b=2`) are dropped.
///
/// ```
/// # use kms_protocol::sigv4::canonical_query_string;
/// assert_eq!(canonical_query_string("b=2&a=%7e x+y&c"), "a=~%20x%20y&b=2&c=");
/// ```
pub fn canonical_query_string(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            let mut n = String::new();
            encode_into(&mut n, &query_decode(name), false);
            let mut v = String::new();
            encode_into(&mut v, &query_decode(value), false);
            (n, v)
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(query.len() + 8);
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Whitespace as Python's `str.split()` sees it in ASCII, which is what
/// botocore collapses in header values (includes the CR/LF of folded lines).
fn is_header_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Appends a header value trimmed, with every run of whitespace collapsed
/// to one space.
fn push_trimmed(out: &mut String, value: &str) {
    let mut first = true;
    for word in value.split(is_header_space).filter(|w| !w.is_empty()) {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// An RFC 9110 header name (a `token`).
pub(crate) fn is_valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// The canonical value of header `lower_name`: every occurrence in
/// `headers` (names compared case-insensitively), each trimmed, joined by
/// `,` in order of appearance. `None` if the header is absent.
pub(crate) fn header_value(headers: &[(&str, &str)], lower_name: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(lower_name) {
            match out.as_mut() {
                Some(joined) => {
                    joined.push(',');
                    push_trimmed(joined, value);
                }
                None => {
                    let mut joined = String::with_capacity(value.len());
                    push_trimmed(&mut joined, value);
                    out = Some(joined);
                }
            }
        }
    }
    out
}

/// A canonical header list under construction: lowercase names, sorted,
/// each with its joined, trimmed value.
#[derive(Default)]
pub(crate) struct CanonicalHeaders {
    entries: Vec<(String, String)>,
}

impl CanonicalHeaders {
    /// Adds one occurrence of a header (name lowercased here).
    pub(crate) fn add(&mut self, name: &str, value: &str) {
        let lower = name.to_ascii_lowercase();
        if let Some((_, joined)) = self.entries.iter_mut().find(|(n, _)| *n == lower) {
            joined.push(',');
            push_trimmed(joined, value);
        } else {
            let mut joined = String::with_capacity(value.len());
            push_trimmed(&mut joined, value);
            self.entries.push((lower, joined));
        }
    }

    /// Sorts by name; the list is then final. Names are unique (`add` joins
    /// repeats), so sorting the pairs sorts by name, and it is the same
    /// sort instantiation as the query's (a sort is ~5 KB of wasm each).
    pub(crate) fn finish(mut self) -> Vec<(String, String)> {
        self.entries.sort_unstable();
        self.entries
    }
}

/// `name;name;...` of sorted canonical headers.
pub(crate) fn signed_headers_list(headers: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out
}

/// Assembles the canonical request from its parts.
pub(crate) fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(method);
    out.push('\n');
    out.push_str(canonical_uri);
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    for (name, value) in headers {
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The string to sign for a canonical request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let n = |p| canonical_uri_path(p, true, true);
        assert_eq!(n(""), "/");
        assert_eq!(n("/"), "/");
        assert_eq!(n("//"), "/");
        assert_eq!(n("//example//"), "/example/");
        assert_eq!(n("/example/.."), "/");
        assert_eq!(n("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(n("/../.."), "/");
        assert_eq!(n("/a/b/"), "/a/b/");
        assert_eq!(n("/example space/"), "/example%20space/");
        assert_eq!(n("/a%20b"), "/a%2520b");
        assert_eq!(canonical_uri_path("/a%20b", false, false), "/a%20b");
        assert_eq!(canonical_uri_path("//a/./", false, true), "//a/./");
        assert_eq!(canonical_uri_path("", false, false), "/");
        assert_eq!(n("/\u{1234}"), "/%E1%88%B4");
    }

    #[test]
    fn queries() {
        assert_eq!(canonical_query_string(""), "");
        assert_eq!(canonical_query_string("&&"), "");
        assert_eq!(canonical_query_string("a"), "a=");
        assert_eq!(canonical_query_string("a=1=2"), "a=1%3D2");
        assert_eq!(canonical_query_string("b=1&a=2&a=1"), "a=1&a=2&b=1");
        assert_eq!(canonical_query_string("x=a+b&y=a%2Bb"), "x=a%20b&y=a%2Bb");
        assert_eq!(canonical_query_string("x=%zz%4"), "x=%25zz%254");
        assert_eq!(canonical_query_string("x=%2f%2F"), "x=%2F%2F");
        assert_eq!(
            canonical_query_string("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical_query_string("\u{1234}=bar"), "%E1%88%B4=bar");
    }

    #[test]
    fn header_values() {
        let headers = [
            ("My-Header", "  a   b\t c  "),
            ("other", "x"),
            ("my-header", ""),
            ("MY-HEADER", "v1\n  v2"),
        ];
        assert_eq!(
            header_value(&headers, "my-header").as_deref(),
            Some("a b c,,v1 v2")
        );
        assert_eq!(header_value(&headers, "absent"), None);
        let mut c = CanonicalHeaders::default();
        for (n, v) in headers {
            c.add(n, v);
        }
        assert_eq!(
            c.finish(),
            vec![
                ("my-header".to_owned(), "a b c,,v1 v2".to_owned()),
                ("other".to_owned(), "x".to_owned())
            ]
        );
        assert!(is_valid_header_name("X-Amz-Date"));
        assert!(!is_valid_header_name("bad name"));
        assert!(!is_valid_header_name("bad:name"));
        assert!(!is_valid_header_name(""));
    }
}
