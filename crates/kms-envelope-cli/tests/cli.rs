//! The `kms-envelope` binary end to end: files and pipes, several wrapping
//! keys, and failures that leave nothing behind.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_kms-envelope");

struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.key"), [7u8; 32]).unwrap();
        std::fs::write(dir.path().join("b.key"), [9u8; 16]).unwrap();
        std::fs::write(dir.path().join("short.key"), [1u8; 10]).unwrap();
        Keys { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn spec(&self, name: &str) -> String {
        format!(
            "raw-aes:ns:{name}:{}",
            self.path(&format!("{name}.key")).display()
        )
    }
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = stdin.map(<[u8]>::to_vec);
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        if let Some(bytes) = input {
            // A command that fails early stops reading: a broken pipe here
            // is expected, and the exit status tells the story.
            let _ = pipe.write_all(&bytes);
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn failed_with_one_line(out: &Output) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn pipes_round_trip_with_signed_suite_and_context() {
    let keys = Keys::new();
    let plaintext: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let spec = keys.spec("a");
    let enc = run(
        &[
            "encrypt",
            "-i",
            "-",
            "-o",
            "-",
            "-w",
            &spec,
            "--suite",
            "0x0578",
            "-c",
            "k=v",
            "--frame-length",
            "1000",
        ],
        Some(&plaintext),
    );
    ok(&enc);
    let dec = run(
        &["decrypt", "-i", "-", "-o", "-", "-w", &spec, "-c", "k=v"],
        Some(&enc.stdout),
    );
    ok(&dec);
    assert_eq!(dec.stdout, plaintext);
}

#[test]
fn any_of_several_wrapping_keys_decrypts() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let (plain, enc, out) = (
        dir.path().join("p"),
        dir.path().join("e"),
        dir.path().join("o"),
    );
    std::fs::write(&plain, b"for two keys").unwrap();
    ok(&run(
        &[
            "encrypt",
            "-i",
            s(&plain),
            "-o",
            s(&enc),
            "-w",
            &keys.spec("a"),
            "-w",
            &keys.spec("b"),
        ],
        None,
    ));
    ok(&run(
        &[
            "decrypt",
            "-i",
            s(&enc),
            "-o",
            s(&out),
            "-w",
            &keys.spec("b"),
        ],
        None,
    ));
    assert_eq!(std::fs::read(&out).unwrap(), b"for two keys");
    let inspect = run(&["inspect", "-i", s(&enc)], None);
    ok(&inspect);
    let header: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(header["encrypted_data_keys"].as_array().unwrap().len(), 2);
}

#[test]
fn failures_leave_no_output_file() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let (plain, enc, out) = (
        dir.path().join("p"),
        dir.path().join("e"),
        dir.path().join("o"),
    );
    std::fs::write(&plain, vec![5u8; 100_000]).unwrap();
    ok(&run(
        &[
            "encrypt",
            "-i",
            s(&plain),
            "-o",
            s(&enc),
            "-w",
            &keys.spec("a"),
            "-c",
            "k=v",
        ],
        None,
    ));

    // Wrong key, wrong context, truncated and tampered messages.
    let err = failed_with_one_line(&run(
        &[
            "decrypt",
            "-i",
            s(&enc),
            "-o",
            s(&out),
            "-w",
            &keys.spec("b"),
        ],
        None,
    ));
    assert!(err.contains("no encrypted data key"), "{err}");
    let err = failed_with_one_line(&run(
        &[
            "decrypt",
            "-i",
            s(&enc),
            "-o",
            s(&out),
            "-w",
            &keys.spec("a"),
            "-c",
            "k=other",
        ],
        None,
    ));
    assert!(err.contains("encryption context"), "{err}");
    let bytes = std::fs::read(&enc).unwrap();
    let truncated = dir.path().join("t");
    std::fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
    failed_with_one_line(&run(
        &[
            "decrypt",
            "-i",
            s(&truncated),
            "-o",
            s(&out),
            "-w",
            &keys.spec("a"),
        ],
        None,
    ));
    let mut flipped = bytes.clone();
    let at = flipped.len() - 50;
    flipped[at] ^= 0x80;
    let tampered = dir.path().join("x");
    std::fs::write(&tampered, &flipped).unwrap();
    failed_with_one_line(&run(
        &[
            "decrypt",
            "-i",
            s(&tampered),
            "-o",
            s(&out),
            "-w",
            &keys.spec("a"),
        ],
        None,
    ));

    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let keys = Keys::new();
    let err = failed_with_one_line(&run(
        &["encrypt", "-i", "-", "-o", "-", "-w", &keys.spec("short")],
        Some(b"x"),
    ));
    assert!(err.contains("16, 24 or 32"), "{err}");
    let err = failed_with_one_line(&run(
        &["encrypt", "-i", "-", "-o", "-", "-w", "gcp:alias/x"],
        Some(b"x"),
    ));
    assert!(err.contains("not supported"), "{err}");
    let err = failed_with_one_line(&run(
        &["encrypt", "-i", "-", "-o", "-", "-w", "kms-discovery"],
        Some(b"x"),
    ));
    assert!(err.contains("only decrypts"), "{err}");
    let spec = keys.spec("a");
    let err = failed_with_one_line(&run(
        &[
            "encrypt", "-i", "-", "-o", "-", "-w", &spec, "--suite", "0x0178",
        ],
        Some(b"x"),
    ));
    assert!(err.contains("commitment policy"), "{err}");
    let err = failed_with_one_line(&run(
        &["encrypt", "-i", "/nonexistent/in", "-o", "-", "-w", &spec],
        None,
    ));
    assert!(err.contains("cannot open"), "{err}");
    let err = failed_with_one_line(&run(&["inspect", "-i", "-"], Some(b"not a message")));
    assert!(
        err.contains("invalid message") || err.contains("truncated"),
        "{err}"
    );
}
