use super::*;
use serde_json::json;

fn write_events(dir: &Path, n: usize) {
    let log = AuditLog::open(dir).unwrap();
    for i in 0..n {
        log.append(AuditEntry {
            operation: Some("Decrypt".into()),
            request_id: format!("req-{i}"),
            ..AuditEntry::default()
        });
    }
    log.close();
}

fn lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(LOG_FILE))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn rewrite(dir: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(dir.join(LOG_FILE), text).unwrap();
}

fn broken_at(dir: &Path) -> (u64, String) {
    match verify(dir).unwrap() {
        Verdict::Broken { line, reason, .. } => (line, reason),
        v => panic!("expected a broken chain, got {v:?}"),
    }
}

#[test]
fn an_intact_log_verifies_and_continues_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 5);
    write_events(dir.path(), 3);
    let Verdict::Intact { records, last_hash } = verify(dir.path()).unwrap() else {
        panic!("intact")
    };
    assert_eq!(records, 8);
    assert_eq!(last_hash.len(), 64);
    let l = lines(dir.path());
    assert!(l[7].contains("\"sequence\":8") && l[7].contains("req-2"));
}

#[test]
fn an_altered_record_is_found() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 5);
    let mut l = lines(dir.path());
    l[2] = l[2].replace("req-2", "req-X");
    rewrite(dir.path(), &l);
    let (line, reason) = broken_at(dir.path());
    assert_eq!(line, 3);
    assert!(reason.contains("altered"), "{reason}");
}

#[test]
fn a_removed_or_reordered_record_is_found() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 5);
    let l = lines(dir.path());
    let mut removed = l.clone();
    removed.remove(1);
    rewrite(dir.path(), &removed);
    let (line, reason) = broken_at(dir.path());
    assert_eq!(line, 2);
    assert!(reason.contains("missing"), "{reason}");

    let mut swapped = l.clone();
    swapped.swap(2, 3);
    rewrite(dir.path(), &swapped);
    assert_eq!(broken_at(dir.path()).0, 3);

    // A removed record whose successors are renumbered and rehashed by hand
    // still breaks the chain at the chain head.
    let mut cut = l.clone();
    cut.truncate(3);
    rewrite(dir.path(), &cut);
    let (_, reason) = broken_at(dir.path());
    assert!(reason.contains("missing from the end"), "{reason}");
}

#[test]
fn a_torn_last_line_is_dropped_on_open() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 2);
    let mut f = OpenOptions::new()
        .append(true)
        .open(dir.path().join(LOG_FILE))
        .unwrap();
    f.write_all(b"{\"sequence\":3,\"previousHa").unwrap();
    drop(f);
    write_events(dir.path(), 1);
    assert!(matches!(
        verify(dir.path()).unwrap(),
        Verdict::Intact { records: 3, .. }
    ));
}

#[test]
fn sanitize_drops_secrets_and_keeps_user_context_keys() {
    let v = sanitize(&json!({
        "KeyId": "alias/a",
        "Plaintext": "c2VjcmV0",
        "GrantTokens": ["t"],
        "EncryptionContext": {"Tenant": "blue"},
        "Constraints": {"EncryptionContextSubset": {"Job": "x"}},
        "Tags": [{"TagKey": "k", "TagValue": "v"}]
    }));
    assert_eq!(
        v,
        json!({
            "keyId": "alias/a",
            "encryptionContext": {"Tenant": "blue"},
            "constraints": {"encryptionContextSubset": {"Job": "x"}},
            "tags": [{"tagKey": "k", "tagValue": "v"}]
        })
    );
}

#[test]
fn event_times_are_utc_iso_8601() {
    assert_eq!(event_time(0), "1970-01-01T00:00:00Z");
    assert_eq!(event_time(951_782_400_000), "2000-02-29T00:00:00Z");
    assert_eq!(event_time(1_795_305_599_999), "2026-11-21T23:59:59Z");
}
