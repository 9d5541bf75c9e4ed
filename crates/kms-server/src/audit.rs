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
//! Durability: requests hand their record to one writer thread through a
//! bounded queue (a full queue makes requests wait, never drops a record).
//! Every 2 ms the writer turns what is queued into CloudTrail events and
//! appends them with one `write` (they are then in the OS and survive the
//! process being killed), fsyncs and updates `HEAD` at least every second,
//! and on a clean shutdown (SIGTERM, Ctrl-C) drains the queue and fsyncs
//! before the process exits. A `kill -9` can lose the last ~2 ms of
//! records; a power loss can lose up to the last second.
//!
//! Never logged: plaintexts, ciphertext blobs, messages, signatures, MACs,
//! data keys, private keys, wrapped key material, import tokens and grant
//! tokens. Logged as CloudTrail does: key ids and ARNs, encryption contexts,
//! algorithms, key specs, grant operations and constraints, policies.

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// The log file inside the data directory.
pub const LOG_FILE: &str = "audit/events.jsonl";
/// The chain head file.
pub const HEAD_FILE: &str = "audit/HEAD";
/// How many records may wait for the writer before requests wait.
const QUEUE: usize = 16_384;
/// The longest time between fsyncs while records arrive.
const SYNC_EVERY: Duration = Duration::from_secs(1);
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HASH_KEY: &str = ",\"hash\":\"";

/// What a request leaves for its audit record. It is turned into the
/// CloudTrail event on the writer thread, so requests pay only for moving
/// these fields.
#[derive(Debug, Default)]
pub struct AuditEntry {
    /// Lifecycle-clock time of the request, ms.
    pub time_ms: i64,
    /// `x-amzn-RequestId`.
    pub request_id: String,
    /// The operation (from `X-Amz-Target`), when named.
    pub operation: Option<String>,
    /// The principal, once authenticated.
    pub principal_arn: Option<String>,
    /// Its account.
    pub account: Option<String>,
    /// The access key id of the signature (even one that did not verify).
    pub access_key_id: Option<String>,
    /// The credential scope's region.
    pub region: Option<String>,
    /// The client's address.
    pub source_ip: Option<String>,
    /// Its `User-Agent`.
    pub user_agent: Option<String>,
    /// The request body (JSON).
    pub request: Option<axum::body::Bytes>,
    /// The response body, for operations whose responses CloudTrail records.
    pub response: Option<Vec<u8>>,
    /// The error code and message of a refused request.
    pub error: Option<(&'static str, String)>,
    /// The key ARNs the request resolved.
    pub resources: Vec<String>,
}

/// CloudTrail's `userIdentity`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
}

/// One entry of CloudTrail's `resources`.
#[derive(serde::Serialize)]
struct Resource<'a> {
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "ARN")]
    arn: &'a str,
}

/// A CloudTrail event, serialized straight from the entry's fields.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    event_version: &'static str,
    user_identity: UserIdentity<'a>,
    event_time: String,
    event_source: &'static str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    user_agent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    request_parameters: Value,
    response_elements: Value,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "eventID")]
    event_id: String,
    read_only: bool,
    resources: Vec<Resource<'a>>,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
    event_category: &'static str,
}

impl AuditEntry {
    /// The CloudTrail event of this record, as JSON text.
    pub fn to_event_json(&self) -> String {
        let operation = self.operation.as_deref().unwrap_or("unknown");
        let account = self.account.as_deref();
        let parse = |b: &[u8]| {
            serde_json::from_slice::<Value>(b)
                .ok()
                .map(|v| sanitize(&v))
        };
        let response = match &self.error {
            None if response_is_logged(operation) => self
                .response
                .as_deref()
                .and_then(parse)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let event = Event {
            event_version: "1.08",
            user_identity: UserIdentity {
                kind: identity_type(self.principal_arn.as_deref()),
                arn: self.principal_arn.as_deref(),
                account_id: account,
                access_key_id: self.access_key_id.as_deref(),
            },
            event_time: event_time(self.time_ms),
            event_source: "kms.amazonaws.com",
            event_name: operation,
            aws_region: self.region.as_deref().unwrap_or("unknown"),
            source_ip_address: self.source_ip.as_deref().unwrap_or("unknown"),
            user_agent: self.user_agent.as_deref().unwrap_or(""),
            error_code: self.error.as_ref().map(|(c, _)| *c),
            error_message: self.error.as_ref().map(|(_, m)| m.as_str()),
            request_parameters: self
                .request
                .as_deref()
                .and_then(parse)
                .unwrap_or(Value::Null),
            response_elements: response,
            request_id: &self.request_id,
            event_id: event_id(&self.request_id),
            read_only: read_only(operation),
            resources: self
                .resources
                .iter()
                .map(|arn| Resource {
                    account_id: arn.split(':').nth(4).unwrap_or_default(),
                    kind: "AWS::KMS::Key",
                    arn,
                })
                .collect(),
            event_type: "AwsApiCall",
            management_event: true,
            recipient_account_id: account.unwrap_or("unknown"),
            event_category: "Management",
        };
        serde_json::to_string(&event).unwrap_or_else(|_| "null".to_owned())
    }
}

/// A unique event id without a random-number call per record: a UUID
/// (version 4 layout) made from a hash of the unique request id, so that
/// `GetKeyLastUsage` can name a request's record without waiting for it.
pub fn event_id(request_id: &str) -> String {
    let h = Sha256::digest(format!("kms-server event id\0{request_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

fn identity_type(principal_arn: Option<&str>) -> &'static str {
    match principal_arn {
        Some(a) if a.ends_with(":root") => "Root",
        Some(a) if a.contains(":assumed-role/") || a.contains(":role/") => "AssumedRole",
        Some(_) => "IAMUser",
        None => "Unknown",
    }
}

/// A running audit log.
#[derive(Debug)]
pub struct AuditLog {
    shared: std::sync::Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    entries: Vec<AuditEntry>,
    closed: bool,
}

/// How often the writer looks for new entries when idle.
const POLL: Duration = Duration::from_millis(2);

struct Writer {
    file: File,
    head_path: PathBuf,
    sequence: u64,
    previous: String,
    dirty: bool,
    buffer: Vec<u8>,
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
            buffer: Vec::new(),
        };
        let shared = std::sync::Arc::new(Shared::default());
        let for_writer = std::sync::Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer.run(&for_writer))?;
        Ok(AuditLog {
            shared,
            writer: Mutex::new(Some(handle)),
        })
    }

    /// Queues one request's record. Waits (never drops) while the writer is
    /// more than a queue's length behind.
    pub fn append(&self, entry: AuditEntry) {
        let mut entry = Some(entry);
        loop {
            {
                let mut pending = self
                    .shared
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if pending.closed {
                    tracing::error!("audit log closed; an audit record was not written");
                    return;
                }
                if pending.entries.len() < QUEUE {
                    if let Some(e) = entry.take() {
                        pending.entries.push(e);
                    }
                    return;
                }
            }
            std::thread::sleep(POLL);
        }
    }

    /// Writes everything queued, fsyncs, and stops the writer.
    pub fn close(&self) {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closed = true;
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
    fn run(mut self, shared: &Shared) {
        let mut last_sync = Instant::now();
        loop {
            let (batch, closed) = {
                let mut pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner());
                (std::mem::take(&mut pending.entries), pending.closed)
            };
            if !batch.is_empty() {
                if let Err(e) = self.write_batch(&batch) {
                    tracing::error!(error = %e, "cannot append to the audit log");
                }
            } else if closed {
                self.sync();
                return;
            } else {
                std::thread::sleep(POLL);
            }
            if last_sync.elapsed() >= SYNC_EVERY {
                self.sync();
                last_sync = Instant::now();
            }
        }
    }

    /// Appends a batch with one `write`.
    fn write_batch(&mut self, batch: &[AuditEntry]) -> std::io::Result<()> {
        self.buffer.clear();
        for entry in batch {
            let event = entry.to_event_json();
            self.push_line(&event);
        }
        self.file.write_all(&self.buffer)?;
        self.dirty = true;
        Ok(())
    }

    fn push_line(&mut self, event: &str) {
        let sequence = self.sequence + 1;
        let body = format!(
            "{{\"sequence\":{sequence},\"previousHash\":\"{}\",\"event\":{}",
            self.previous, event
        );
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        self.buffer.extend_from_slice(body.as_bytes());
        self.buffer.extend_from_slice(HASH_KEY.as_bytes());
        self.buffer.extend_from_slice(hash.as_bytes());
        self.buffer.extend_from_slice(b"\"}\n");
        self.sequence = sequence;
        self.previous = hash;
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
    "SharedSecret",
    "SharedSecretCiphertextBlob",
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
    !(cryptographic(operation)
        || matches!(
            operation,
            "GetPublicKey" | "GetParametersForImport" | "GetKeyLastUsage"
        ))
}

/// The cryptographic (data-plane) operations.
fn cryptographic(operation: &str) -> bool {
    matches!(
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
            | "DeriveSharedSecret"
            | "Encapsulate"
            | "Decapsulate"
    )
}

/// Whether an operation only reads.
pub fn read_only(operation: &str) -> bool {
    operation.starts_with("Describe")
        || operation.starts_with("Get")
        || operation.starts_with("List")
        || cryptographic(operation)
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
