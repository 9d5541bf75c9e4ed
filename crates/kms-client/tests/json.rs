//! The client's JSON reader and writer on their own: every escape, the
//! number grammar, nesting, duplicates, unknown members and malformed input
//! of each kind, with serde_json as the reference where it has one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kms_client::json::{Error, ErrorKind, MAX_DEPTH, ObjectWriter, Reader, Text};

/// Skips one value of `input` and checks nothing follows.
fn validate(input: &[u8]) -> Result<(), Error> {
    let mut reader = Reader::new(input);
    reader.skip_value()?;
    reader.finish()
}

fn kind(input: &[u8]) -> ErrorKind {
    match validate(input) {
        Ok(()) => panic!("{:?} was accepted", String::from_utf8_lossy(input)),
        Err(e) => e.kind,
    }
}

/// The string value of `input` (a JSON string), read with the reader.
fn string(input: &[u8]) -> Result<String, Error> {
    let mut reader = Reader::new(input);
    let text = reader.string()?;
    reader.finish()?;
    Ok(text.to_string())
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn valid_json_of_every_kind_is_accepted_as_serde_json_accepts_it() {
    let cases: &[&str] = &[
        "null",
        "true",
        "false",
        "0",
        "-0",
        "12",
        "-12.5",
        "1e5",
        "1E+5",
        "1.5e-05",
        "123456789012345678901234567890",
        "1e999999",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u20AC\ud83d\ude00""#,
        "\"\u{7f}é€😀\"",
        "[]",
        "{}",
        " \t\r\n[ 1 , \"x\" , { \"a\" : [ null ] } ] \n",
        r#"{"a":{"b":{"c":[true,false,null,{}]}},"a":1}"#,
    ];
    for case in cases {
        assert!(validate(case.as_bytes()).is_ok(), "{case}");
        // serde_json refuses numbers beyond f64 as values, not as syntax.
        if !case.contains("e999999") {
            assert!(
                serde_json::from_str::<serde_json::Value>(case).is_ok(),
                "{case}"
            );
        }
    }
}

#[test]
fn malformed_input_of_each_kind_is_a_typed_error() {
    let cases: &[(&[u8], ErrorKind)] = &[
        (b"", ErrorKind::Eof),
        (b"  ", ErrorKind::Eof),
        (b"[", ErrorKind::Eof),
        (b"[1", ErrorKind::Eof),
        (b"{\"a\"", ErrorKind::Eof),
        (b"{\"a\":", ErrorKind::Eof),
        (b"\"abc", ErrorKind::Eof),
        (b"\"abc\\", ErrorKind::Eof),
        (b"tru", ErrorKind::Eof),
        (b"nul", ErrorKind::Eof),
        (b"x", ErrorKind::Expected("a value")),
        (b"nulL", ErrorKind::Expected("a value")),
        (b"True", ErrorKind::Expected("a value")),
        (b"[1,]", ErrorKind::Expected("a value")),
        (b"[,1]", ErrorKind::Expected("a value")),
        (b"[1 2]", ErrorKind::Expected("',' or ']'")),
        (b"[1}", ErrorKind::Expected("',' or ']'")),
        (b"{\"a\":1,}", ErrorKind::Expected("a string key")),
        (b"{,}", ErrorKind::Expected("a string key")),
        (b"{1:2}", ErrorKind::Expected("a string key")),
        (b"{a:2}", ErrorKind::Expected("a string key")),
        (b"{\"a\" 1}", ErrorKind::Expected("':'")),
        (b"{\"a\":1 \"b\":2}", ErrorKind::Expected("',' or '}'")),
        (b"{\"a\":1]", ErrorKind::Expected("',' or '}'")),
        (b"'a'", ErrorKind::Expected("a value")),
        (b"01", ErrorKind::InvalidNumber),
        (b"-01", ErrorKind::InvalidNumber),
        (b"-", ErrorKind::InvalidNumber),
        (b"-a", ErrorKind::InvalidNumber),
        (b"1.", ErrorKind::InvalidNumber),
        (b"1.e5", ErrorKind::InvalidNumber),
        (b"1e", ErrorKind::InvalidNumber),
        (b"1e+", ErrorKind::InvalidNumber),
        (b"+1", ErrorKind::Expected("a value")),
        (b".5", ErrorKind::Expected("a value")),
        (b"NaN", ErrorKind::Expected("a value")),
        (b"Infinity", ErrorKind::Expected("a value")),
        (b"0x10", ErrorKind::TrailingCharacters),
        (b"1 2", ErrorKind::TrailingCharacters),
        (b"{} {}", ErrorKind::TrailingCharacters),
        (b"null\0", ErrorKind::TrailingCharacters),
        (b"\"a\nb\"", ErrorKind::ControlCharacter),
        (b"\"\x00\"", ErrorKind::ControlCharacter),
        (b"\"\x1f\"", ErrorKind::ControlCharacter),
        (b"\"\\x\"", ErrorKind::InvalidEscape),
        (b"\"\\\n\"", ErrorKind::InvalidEscape),
        (b"\"\\U00e9\"", ErrorKind::InvalidEscape),
        (b"\"\\u00g9\"", ErrorKind::InvalidEscape),
        (b"\"\\u00e\"", ErrorKind::InvalidEscape),
        (b"\"\\u+0e9\"", ErrorKind::InvalidEscape),
        (b"\"\\ud83d\"", ErrorKind::LoneSurrogate),
        (b"\"\\ud83dx\"", ErrorKind::LoneSurrogate),
        (b"\"\\ud83d\\u0041\"", ErrorKind::LoneSurrogate),
        (b"\"\\ud83d\\ud83d\"", ErrorKind::LoneSurrogate),
        (b"\"\\ude00\"", ErrorKind::LoneSurrogate),
        (b"\"\\ude00\\ud83d\"", ErrorKind::LoneSurrogate),
        (b"\"\\ud83d\\n\"", ErrorKind::LoneSurrogate),
        (b"\"\xff\"", ErrorKind::InvalidUtf8),
        (b"\"\xc3\"", ErrorKind::InvalidUtf8),
        (b"\"\xc0\xaf\"", ErrorKind::InvalidUtf8),
        (b"\"\xed\xa0\x80\"", ErrorKind::InvalidUtf8),
        (b"{\"\xff\":1}", ErrorKind::InvalidUtf8),
        (b"\xef\xbb\xbf{}", ErrorKind::Expected("a value")),
    ];
    for &(input, expected) in cases {
        let shown = String::from_utf8_lossy(input);
        assert_eq!(kind(input), expected, "{shown:?}");
        assert!(
            serde_json::from_slice::<serde_json::Value>(input).is_err(),
            "serde_json accepts {shown:?}"
        );
    }
}

#[test]
fn errors_say_where() {
    let e = validate(b"[1, 2,\n x]").unwrap_err();
    assert_eq!(e.offset, 8);
    assert_eq!(e.to_string(), "expected a value at byte 8");
    let e = validate(b"\"ab\\q\"").unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::InvalidEscape, 3));
    let e = validate(b"\"ab\xff\"").unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::InvalidUtf8, 3));
}

#[test]
fn strings_unescape_every_escape() {
    assert_eq!(
        string(br#""a\"b\\c\/d\b\f\n\r\t""#).unwrap(),
        "a\"b\\c/d\u{8}\u{c}\n\r\t"
    );
    assert_eq!(
        string(br#""\u0000\u001F\u007f""#).unwrap(),
        "\0\u{1f}\u{7f}"
    );
    assert_eq!(string(br#""\u00e9\u20AC""#).unwrap(), "é€");
    // A surrogate pair is one character beyond the BMP; the extremes too.
    assert_eq!(string(br#""\ud83d\ude00!""#).unwrap(), "😀!");
    assert_eq!(string(br#""\uD800\uDC00""#).unwrap(), "\u{10000}");
    assert_eq!(string(br#""\uDBFF\uDFFF""#).unwrap(), "\u{10ffff}");
    // Non-ASCII passes through as it is.
    assert_eq!(string("\"é€😀\"".as_bytes()).unwrap(), "é€😀");
    for input in [
        r#""\u00e9\u20AC\ud83d\ude00""#,
        r#""x\\\"\/y""#,
        "\"é\\t€\"",
    ] {
        let ours = string(input.as_bytes()).unwrap();
        let theirs: String = serde_json::from_str(input).unwrap();
        assert_eq!(ours, theirs, "{input}");
    }
}

#[test]
fn strings_without_escapes_are_borrowed_others_unescaped() {
    let mut reader = Reader::new(br#"["plain", "esc\u0061ped"]"#);
    reader.begin_array().unwrap();
    assert!(reader.next_element().unwrap());
    assert!(matches!(reader.string().unwrap(), Text::Borrowed("plain")));
    assert!(reader.next_element().unwrap());
    let text = reader.string().unwrap();
    assert!(matches!(text, Text::Unescaped(_)));
    assert_eq!(text.into_string(), "escaped");
    assert!(!reader.next_element().unwrap());
    reader.finish().unwrap();
}

#[test]
fn nesting_is_bounded_at_serde_jsons_limit_without_recursion() {
    assert!(validate(nested(MAX_DEPTH).as_bytes()).is_ok());
    assert_eq!(kind(nested(MAX_DEPTH + 1).as_bytes()), ErrorKind::TooDeep);
    assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_DEPTH)).is_ok());
    assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_DEPTH + 1)).is_err());
    let objects = format!(
        "{}1{}",
        "{\"a\":".repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(kind(objects.as_bytes()), ErrorKind::TooDeep);
    // A million opening brackets: an error, not a stack overflow.
    assert_eq!(kind("[".repeat(1_000_000).as_bytes()), ErrorKind::TooDeep);
    // Depth counts from where reading is: a member value inside the
    // response object has one level fewer to use.
    let deepest = nested(MAX_DEPTH);
    let mut reader = Reader::new(deepest.as_bytes());
    reader.begin_array().unwrap();
    assert!(reader.next_element().unwrap());
    reader.skip_value().unwrap();
    assert!(!reader.next_element().unwrap());
    reader.finish().unwrap();
}

/// Reads `{"A": string, "B": [string...]}` members, skipping the others.
fn read_ab(input: &[u8]) -> Result<(Option<String>, Option<Vec<String>>), Error> {
    let (mut a, mut b) = (None, None);
    let mut reader = Reader::new(input);
    reader.begin_object()?;
    while let Some(name) = reader.next_key()? {
        match &*name {
            "A" => reader.member("A", &mut a, |r| Ok(r.string()?.into_string()))?,
            "B" => reader.member("B", &mut b, |r| {
                let mut items = Vec::new();
                r.begin_array()?;
                while r.next_element()? {
                    items.push(r.string()?.into_string());
                }
                Ok(items)
            })?,
            _ => reader.skip_value()?,
        }
    }
    reader.finish()?;
    Ok((a, b))
}

#[test]
fn members_in_any_order_unknown_ones_skipped_duplicates_refused() {
    let (a, b) = read_ab(
        br#"{"Z": {"A": "not this", "deep": [[{}], -1.5e3, "\ud83d\ude00"]},
            "B": ["x", "y"], "A\u0000": 1, "A": "yes", "Z": null}"#,
    )
    .unwrap();
    assert_eq!(a.as_deref(), Some("yes"));
    assert_eq!(b, Some(vec!["x".to_owned(), "y".to_owned()]));
    // A member name is matched after unescaping.
    assert_eq!(
        read_ab(br#"{"\u0041":"esc"}"#).unwrap().0.as_deref(),
        Some("esc")
    );
    let e = read_ab(br#"{"A":"1","B":[],"A":"2"}"#).unwrap_err();
    assert_eq!((e.kind, e.field), (ErrorKind::DuplicateField, Some("A")));
    let e = read_ab(br#"{"A":"1","\u0041":"2"}"#).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DuplicateField);
    // Unknown members may repeat.
    assert!(read_ab(br#"{"C":1,"C":2}"#).is_ok());
    let e = read_ab(br#"{"A":1}"#).unwrap_err();
    assert_eq!(
        (e.kind, e.field),
        (ErrorKind::WrongType("a string"), Some("A"))
    );
    assert_eq!(e.to_string(), "expected a string `A` at byte 5");
    let e = read_ab(br#"{"B":["x",null]}"#).unwrap_err();
    assert_eq!(
        (e.kind, e.field),
        (ErrorKind::WrongType("a string"), Some("B"))
    );
    assert_eq!(
        read_ab(br#"{"B":"x"}"#).unwrap_err().kind,
        ErrorKind::WrongType("an array")
    );
    assert_eq!(
        read_ab(b"[]").unwrap_err().kind,
        ErrorKind::WrongType("an object")
    );
    assert_eq!(
        read_ab(br#"{"A":"x"} x"#).unwrap_err().kind,
        ErrorKind::TrailingCharacters
    );
    assert_eq!(
        read_ab(br#"{"A":"x","C":[1,]}"#).unwrap_err().kind,
        ErrorKind::Expected("a value")
    );
    let reader = Reader::new(b"{}");
    let e = reader.required(None::<()>, "KeyId").unwrap_err();
    assert_eq!((e.kind, e.field), (ErrorKind::MissingField, Some("KeyId")));
}

#[test]
fn null_is_consumed_only_when_there() {
    let mut reader = Reader::new(b"[null, \"x\"]");
    reader.begin_array().unwrap();
    assert!(reader.next_element().unwrap());
    assert!(reader.null().unwrap());
    assert!(reader.next_element().unwrap());
    assert!(!reader.null().unwrap());
    assert_eq!(&*reader.string().unwrap(), "x");
    assert!(!reader.next_element().unwrap());
    assert_eq!(Reader::new(b"nul").null().unwrap_err().kind, ErrorKind::Eof);
}

#[test]
fn blobs_are_strict_padded_base64() {
    let blob = |input: &[u8]| Reader::new(input).blob().map(|b| b.to_vec());
    assert_eq!(blob(br#""aGVsbG8=""#).unwrap(), b"hello");
    assert_eq!(blob(br#""""#).unwrap(), b"");
    // An escaped slash is still base64.
    assert_eq!(blob(br#""\/w==""#).unwrap(), [0xff]);
    for bad in [
        &br#""aGVsbG8""#[..],
        br#""aGVsbG9=""#,
        br#""aGVs bG8=""#,
        br#""***""#,
    ] {
        let e = blob(bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue("invalid base64"));
    }
    assert_eq!(
        blob(b"12").unwrap_err().kind,
        ErrorKind::WrongType("a string")
    );
}

#[test]
fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
    let mut all: String = (0u8..=0x7f).map(char::from).collect();
    all.push_str("é€😀\u{2028}\u{fffd}");
    let cases = [
        all.as_str(),
        "",
        "plain",
        "\"quoted\"",
        "back\\slash",
        "a/b",
    ];
    for case in cases {
        let mut writer = ObjectWriter::new();
        writer.string(case, case);
        let ours = writer.finish();
        let theirs = serde_json::to_vec(&serde_json::json!({ case: case })).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
        // And the reader reads back what the writer wrote.
        let mut reader = Reader::new(&ours);
        reader.begin_object().unwrap();
        assert_eq!(&*reader.next_key().unwrap().unwrap(), case);
        assert_eq!(&*reader.string().unwrap(), case);
        assert!(reader.next_key().unwrap().is_none());
        reader.finish().unwrap();
    }
}

#[test]
fn every_member_kind_is_written_as_serde_json_writes_it() {
    for len in 0..10 {
        let bytes: Vec<u8> = (0..len).map(|i: u8| 0xf0 ^ i.wrapping_mul(37)).collect();
        let mut writer = ObjectWriter::new();
        writer
            .blob("B", &bytes)
            .integer("Zero", 0)
            .integer("Max", u64::MAX)
            .string_map("M", [("k1", "v1"), ("k\"2", "v\n2")])
            .string_map("Empty", [])
            .string_array("A", ["x", "y\u{1}"])
            .string_array("None", []);
        let ours = writer.finish();
        use base64::Engine as _;
        let expected = serde_json::json!({
            "B": base64::engine::general_purpose::STANDARD.encode(&bytes),
            "Zero": 0,
            "Max": u64::MAX,
            "M": {"k1": "v1", "k\"2": "v\n2"},
            "Empty": {},
            "A": ["x", "y\u{1}"],
            "None": [],
        });
        let parsed: serde_json::Value = serde_json::from_slice(&ours).unwrap();
        assert_eq!(parsed, expected, "{}", String::from_utf8_lossy(&ours));
        assert!(String::from_utf8_lossy(&ours).starts_with(r#"{"B":""#));
    }
    assert_eq!(&ObjectWriter::new().finish()[..], b"{}");
}

#[test]
fn a_growing_body_stays_whole() {
    // Far beyond the initial allocation: every move keeps the bytes.
    let big = vec![7u8; 100_000];
    let mut writer = ObjectWriter::new();
    writer.string("KeyId", "k").blob("Plaintext", &big);
    let body = writer.finish();
    let mut reader = Reader::new(&body);
    reader.begin_object().unwrap();
    reader.next_key().unwrap();
    reader.skip_value().unwrap();
    assert_eq!(&*reader.next_key().unwrap().unwrap(), "Plaintext");
    assert_eq!(&reader.blob().unwrap()[..], &big[..]);
}
