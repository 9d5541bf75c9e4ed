//! The audit log: every KMS request, allowed or refused, as a CloudTrail
//! event, appended to `DATA_DIR/audit/events.jsonl` in a hash chain.
//!
//! Each line is one JSON object:
//! `{"sequence":N,"previousHash":"<hex>","event":{...},"hash":"<hex>"}`,
//! where `hash` is the SHA-256 of the line's bytes up to (not including)
//! `,"hash":`, and `previousHash` is the previous line's `hash` (64 zeros
//! for the first). Editing, removing or reordering any line breaks the
//! chain at that line; `kms-server audit verify --data-dir DIR` finds the
//! first such line. `audit/HEAD` holds the sequence and hash of the last
//! record written, so records cut from the end are found too.
//!
//! Durability: requests hand their event to one writer thread through a
//! bounded queue (a full queue makes requests wait, never drops a record).
//! The writer appends each record with one `write` (it is then in the OS,
//! and survives the process being killed once written), fsyncs and updates
//! `HEAD` at least every second, and on a clean shutdown (SIGTERM, Ctrl-C)
//! drains the queue and fsyncs before the process exits. A `kill -9` can
//! lose the records still queued (the queue is usually empty or nearly);
//! a power loss can lose up to the last second.
//!
//! Never logged: plaintexts, ciphertext blobs, messages, signatures, MACs,
//! data keys, private keys, wrapped key material, import tokens and grant
//! tokens. Logged as CloudTrail does: key ids and ARNs, encryption contexts,
//! algorithms, key specs, grant operations and constraints, policies.

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

/// The log file inside the data directory.
pub const LOG_FILE: &str = "audit/events.jsonl";
/// The chain head file.
pub const HEAD_FILE: &str = "audit/HEAD";
/// How many events may wait for the writer.
const QUEUE: usize = 16_384;
/// The longest time between fsyncs while records arrive.
const SYNC_EVERY: Duration = Duration::from_secs(1);
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HASH_KEY: &str = ",\"hash\":\"";

/// A running audit log.
#[derive(Debug)]
pub struct AuditLog {
    sender: Mutex<Option<SyncSender<Value>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

struct Writer {
    file: File,
    head_path: PathBuf,
    sequence: u64,
    previous: String,
    dirty: bool,
}

impl AuditLog {
    /// Opens (creating) the log of a data directory and starts its writer.
    /// A last line cut short by a crash is removed (it was never complete,
    /// so no request was answered after it).
    pub fn open(data_dir: &Path) -> std::io::Result<AuditLog> {
        let path = data_dir.join(LOG_FILE);
        if let Some(dir) = path.parent() {
            crate::fs_util::create_private_dir(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let (sequence, previous) = last_record(&mut file, &path)?;
        let writer = Writer {
            file,
            head_path: data_dir.join(HEAD_FILE),
            sequence,
            previous,
            dirty: false,
        };
        let (tx, rx) = sync_channel::<Value>(QUEUE);
        let handle = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer.run(&rx))?;
        Ok(AuditLog {
            sender: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
        })
    }

    /// Queues one event (waits while the queue is full).
    pub fn append(&self, event: Value) {
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(tx) = sender
            && tx.send(event).is_err()
        {
            tracing::error!("audit writer stopped; an audit record was not written");
        }
    }

    /// Writes everything queued, fsyncs, and stops the writer.
    pub fn close(&self) {
        drop(self.sender.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(handle) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take()
            && handle.join().is_err()
        {
            tracing::error!("audit writer panicked");
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.close();
    }
}

impl Writer {
    fn run(mut self, rx: &Receiver<Value>) {
        let mut last_sync = Instant::now();
        loop {
            match rx.recv_timeout(SYNC_EVERY) {
                Ok(event) => {
                    if let Err(e) = self.write(&event) {
                        tracing::error!(error = %e, "cannot append to the audit log");
                    }
                    if last_sync.elapsed() >= SYNC_EVERY {
                        self.sync();
                        last_sync = Instant::now();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.sync();
                    last_sync = Instant::now();
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.sync();
                    return;
                }
            }
        }
    }

    fn write(&mut self, event: &Value) -> std::io::Result<()> {
        let sequence = self.sequence + 1;
        let body = format!(
            "{{\"sequence\":{sequence},\"previousHash\":\"{}\",\"event\":{}",
            self.previous, event
        );
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        let line = format!("{body}{HASH_KEY}{hash}\"}}\n");
        self.file.write_all(line.as_bytes())?;
        self.sequence = sequence;
        self.previous = hash;
        self.dirty = true;
        Ok(())
    }

    fn sync(&mut self) {
        if !self.dirty {
            return;
        }
        if let Err(e) = self.file.sync_data() {
            tracing::error!(error = %e, "cannot fsync the audit log");
            return;
        }
        let head = format!("{} {}\n", self.sequence, self.previous);
        let tmp = self.head_path.with_extension("tmp");
        let result =
            std::fs::write(&tmp, head).and_then(|()| std::fs::rename(&tmp, &self.head_path));
        if let Err(e) = result {
            tracing::error!(error = %e, "cannot update the audit chain head");
        }
        self.dirty = false;
    }
}

/// The sequence and hash of the last complete record, truncating a torn
/// last line.
fn last_record(file: &mut File, path: &Path) -> std::io::Result<(u64, String)> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok((0, GENESIS.to_owned()));
    }
    // Read the tail: records are far smaller than 1 MiB.
    let start = len.saturating_sub(1 << 20);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let complete = match tail.iter().rposition(|b| *b == b'\n') {
        Some(i) => i + 1,
        None => 0,
    };
    if complete < tail.len() {
        tracing::warn!(path = %path.display(), "removing a torn last audit record");
        file.set_len(start + complete as u64)?;
        tail.truncate(complete);
    }
    let Some(last) = tail[..tail.len().saturating_sub(1)]
        .split(|b| *b == b'\n')
        .next_back()
        .filter(|l| !l.is_empty())
    else {
        return Ok((0, GENESIS.to_owned()));
    };
    let record = parse_line(last).map_err(std::io::Error::other)?;
    Ok((record.sequence, record.hash))
}

struct Record {
    sequence: u64,
    previous: String,
    hash: String,
    request_id: Option<String>,
}

/// Parses one line and checks its own hash.
fn parse_line(line: &[u8]) -> Result<Record, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_owned())?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let sequence = value["sequence"].as_u64().ok_or("no sequence number")?;
    let previous = value["previousHash"]
        .as_str()
        .ok_or("no previousHash")?
        .to_owned();
    let hash = value["hash"].as_str().ok_or("no hash")?.to_owned();
    let at = text.rfind(HASH_KEY).ok_or("no hash")?;
    if text[at + HASH_KEY.len()..] != format!("{hash}\"}}") {
        return Err("the hash is not the record's last member".into());
    }
    let computed = hex::encode(Sha256::digest(&text.as_bytes()[..at]));
    if computed != hash {
        return Err("its content does not match its hash (altered)".into());
    }
    Ok(Record {
        sequence,
        previous,
        hash,
        request_id: value["event"]["requestID"].as_str().map(str::to_owned),
    })
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record chains to the previous one and the head matches.
    Intact {
        /// Number of records.
        records: u64,
        /// Hash of the last record.
        last_hash: String,
    },
    /// The first record that is altered, missing or out of order.
    Broken {
        /// 1-based line number in the log file.
        line: u64,
        /// The sequence number expected there.
        sequence: u64,
        /// The request id of the record found there, if readable.
        request_id: Option<String>,
        /// What is wrong.
        reason: String,
    },
}

/// Checks the whole chain of a data directory's log.
pub fn verify(data_dir: &Path) -> std::io::Result<Verdict> {
    let file = File::open(data_dir.join(LOG_FILE))?;
    let mut previous = GENESIS.to_owned();
    let mut expected = 1u64;
    let mut line_no = 0u64;
    let broken = |line, sequence, request_id, reason: String| Verdict::Broken {
        line,
        sequence,
        request_id,
        reason,
    };
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        line_no += 1;
        let record = match parse_line(&line) {
            Ok(r) => r,
            Err(reason) => {
                let request_id = serde_json::from_slice::<Value>(&line)
                    .ok()
                    .and_then(|v| v["event"]["requestID"].as_str().map(str::to_owned));
                return Ok(broken(line_no, expected, request_id, reason));
            }
        };
        if record.sequence != expected {
            let reason = if record.sequence > expected {
                format!("records {expected} to {} are missing", record.sequence - 1)
            } else {
                format!("record {} is out of order or repeated", record.sequence)
            };
            return Ok(broken(line_no, expected, record.request_id, reason));
        }
        if record.previous != previous {
            return Ok(broken(
                line_no,
                expected,
                record.request_id,
                "its previousHash is not the previous record's hash (a record before it was \
                 removed, replaced or reordered)"
                    .into(),
            ));
        }
        previous = record.hash;
        expected += 1;
    }
    let records = expected - 1;
    if let Ok(head) = std::fs::read_to_string(data_dir.join(HEAD_FILE)) {
        let mut parts = head.split_whitespace();
        let head_seq: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let head_hash = parts.next().unwrap_or_default();
        if head_seq > records {
            return Ok(broken(
                line_no + 1,
                records + 1,
                None,
                format!(
                    "records {} to {head_seq} are missing from the end",
                    records + 1
                ),
            ));
        }
        if head_seq == records && head_seq > 0 && head_hash != previous {
            return Ok(broken(
                line_no,
                records,
                None,
                "the last record differs from the one the chain head recorded".into(),
            ));
        }
    }
    Ok(Verdict::Intact {
        records,
        last_hash: previous,
    })
}

/// Members never logged (secrets, or bulk data CloudTrail leaves out).
const REDACTED: &[&str] = &[
    "Plaintext",
    "CiphertextBlob",
    "Message",
    "Signature",
    "Mac",
    "PrivateKeyPlaintext",
    "PrivateKeyCiphertextBlob",
    "PublicKey",
    "EncryptedKeyMaterial",
    "ImportToken",
    "GrantToken",
    "GrantTokens",
    "CiphertextForRecipient",
    "Recipient",
];

/// Members whose values are maps of the caller's own keys (kept as is).
const USER_MAPS: &[&str] = &[
    "EncryptionContext",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "EncryptionContextSubset",
    "EncryptionContextEquals",
];

/// A request or response body as CloudTrail shows it: camelCase members,
/// secrets and bulk data removed.
pub fn sanitize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if REDACTED.contains(&k.as_str()) {
                    continue;
                }
                let v = if USER_MAPS.contains(&k.as_str()) {
                    v.clone()
                } else {
                    sanitize(v)
                };
                out.insert(camel(k), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sanitize).collect()),
        other => other.clone(),
    }
}

fn camel(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Operations whose responses CloudTrail does not record (data plane).
pub fn response_is_logged(operation: &str) -> bool {
    !matches!(
        operation,
        "Encrypt"
            | "Decrypt"
            | "ReEncrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
            | "GenerateRandom"
            | "GenerateMac"
            | "VerifyMac"
            | "Sign"
            | "Verify"
            | "GetPublicKey"
            | "GetParametersForImport"
    )
}

/// Whether an operation only reads.
pub fn read_only(operation: &str) -> bool {
    operation.starts_with("Describe")
        || operation.starts_with("Get")
        || operation.starts_with("List")
        || matches!(
            operation,
            "Encrypt"
                | "Decrypt"
                | "ReEncrypt"
                | "GenerateDataKey"
                | "GenerateDataKeyWithoutPlaintext"
                | "GenerateDataKeyPair"
                | "GenerateDataKeyPairWithoutPlaintext"
                | "GenerateRandom"
                | "GenerateMac"
                | "VerifyMac"
                | "Sign"
                | "Verify"
        )
}

/// Who made a request, as CloudTrail's `userIdentity`.
pub fn user_identity(
    principal_arn: Option<&str>,
    account: Option<&str>,
    access_key_id: Option<&str>,
) -> Value {
    let kind = match principal_arn {
        Some(a) if a.ends_with(":root") => "Root",
        Some(a) if a.contains(":assumed-role/") => "AssumedRole",
        Some(a) if a.contains(":role/") => "AssumedRole",
        Some(_) => "IAMUser",
        None => "Unknown",
    };
    let mut v = json!({"type": kind});
    if let Some(a) = principal_arn {
        v["arn"] = json!(a);
    }
    if let Some(a) = account {
        v["accountId"] = json!(a);
    }
    if let Some(k) = access_key_id {
        v["accessKeyId"] = json!(k);
    }
    v
}

/// Milliseconds since the epoch as CloudTrail's `eventTime`
/// (`YYYY-MM-DDTHH:MM:SSZ`, UTC).
pub fn event_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests;
