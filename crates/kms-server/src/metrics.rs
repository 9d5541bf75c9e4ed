//! Request metrics, served as `GET /metrics` in the Prometheus text
//! exposition format (0.0.4): requests by operation and outcome, a latency
//! histogram per operation, throttled requests by quota and denied requests
//! by operation. `/metrics` needs no signature: the server listens on
//! 127.0.0.1 by default; put it behind the same network rules as the
//! endpoint itself when exposing it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct OperationStats {
    outcomes: BTreeMap<&'static str, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
    denied: u64,
}

/// Counters of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    by_operation: Mutex<BTreeMap<String, OperationStats>>,
}

impl Metrics {
    /// Records one finished request. `outcome` is `success` or the AWS
    /// error code; `operation` is the `X-Amz-Target` operation name (or
    /// `unknown`).
    pub fn record(&self, operation: &str, outcome: &'static str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut map = self.by_operation.lock().unwrap_or_else(|p| p.into_inner());
        let stats = match map.get_mut(operation) {
            Some(s) => s,
            None => map.entry(operation.to_owned()).or_default(),
        };
        *stats.outcomes.entry(outcome).or_insert(0) += 1;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                stats.buckets[i] += 1;
            }
        }
        stats.count += 1;
        stats.sum_seconds += seconds;
        if outcome == "AccessDeniedException" {
            stats.denied += 1;
        }
    }

    /// The exposition text; `throttled` comes from the quotas.
    pub fn render(&self, throttled: &[(&'static str, u64)]) -> String {
        let map = self
            .by_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP kms_requests_total KMS requests by operation and outcome (success or the error code)."
        );
        let _ = writeln!(out, "# TYPE kms_requests_total counter");
        for (op, s) in &map {
            for (outcome, n) in &s.outcomes {
                let _ = writeln!(
                    out,
                    "kms_requests_total{{operation=\"{}\",outcome=\"{}\"}} {n}",
                    escape(op),
                    escape(outcome)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP kms_request_duration_seconds Time from request to response, by operation."
        );
        let _ = writeln!(out, "# TYPE kms_request_duration_seconds histogram");
        for (op, s) in &map {
            let op = escape(op);
            for (le, n) in BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "kms_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "kms_request_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "kms_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "kms_request_duration_seconds_count{{operation=\"{op}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP kms_throttled_total Requests refused with ThrottlingException, by quota."
        );
        let _ = writeln!(out, "# TYPE kms_throttled_total counter");
        for (quota, n) in throttled {
            let _ = writeln!(
                out,
                "kms_throttled_total{{quota=\"{}\"}} {n}",
                escape(quota)
            );
        }
        let _ = writeln!(
            out,
            "# HELP kms_denied_total Requests refused with AccessDeniedException, by operation."
        );
        let _ = writeln!(out, "# TYPE kms_denied_total counter");
        for (op, s) in &map {
            if s.denied > 0 {
                let _ = writeln!(
                    out,
                    "kms_denied_total{{operation=\"{}\"}} {}",
                    escape(op),
                    s.denied
                );
            }
        }
        out
    }
}

/// Label values escape backslash, quote and newline.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_in_the_exposition_format() {
        let m = Metrics::default();
        m.record("Decrypt", "success", Duration::from_micros(300));
        m.record("Decrypt", "success", Duration::from_millis(3));
        m.record(
            "Decrypt",
            "AccessDeniedException",
            Duration::from_millis(30),
        );
        let text = m.render(&[("symmetric", 4)]);
        assert!(text.contains("kms_requests_total{operation=\"Decrypt\",outcome=\"success\"} 2\n"));
        assert!(text.contains(
            "kms_requests_total{operation=\"Decrypt\",outcome=\"AccessDeniedException\"} 1\n"
        ));
        assert!(text.contains(
            "kms_request_duration_seconds_bucket{operation=\"Decrypt\",le=\"0.0005\"} 1\n"
        ));
        assert!(text.contains(
            "kms_request_duration_seconds_bucket{operation=\"Decrypt\",le=\"0.005\"} 2\n"
        ));
        assert!(text.contains(
            "kms_request_duration_seconds_bucket{operation=\"Decrypt\",le=\"+Inf\"} 3\n"
        ));
        assert!(text.contains("kms_request_duration_seconds_count{operation=\"Decrypt\"} 3\n"));
        assert!(text.contains("kms_throttled_total{quota=\"symmetric\"} 4\n"));
        assert!(text.contains("kms_denied_total{operation=\"Decrypt\"} 1\n"));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        // Every sample line is `name{labels} value` with a numeric value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
