//! The result of a load, as a table for people and JSON for scripts
//! (`cargo xtask bench server` reads the JSON).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::{LoadOptions, Stats};

/// Latency quantiles, milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyMs {
    /// Fastest.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Slowest.
    pub max: f64,
}

/// Everything a run reports. Field names are the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The endpoint URL.
    pub endpoint: String,
    /// The KMS operation.
    pub operation: String,
    /// What exactly was sent (key spec, algorithm, sizes).
    pub workload: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Measured seconds (after the warm-up).
    pub seconds: f64,
    /// Successful requests.
    pub ok: u64,
    /// Successful requests per second.
    pub requests_per_second: f64,
    /// Latency of successful requests.
    pub latency_ms: LatencyMs,
    /// Throttled requests.
    pub throttled: u64,
    /// Other error responses by `__type`.
    pub errors: BTreeMap<String, u64>,
    /// Requests without a response, by cause.
    pub transport_errors: BTreeMap<String, u64>,
    /// TCP connections opened.
    pub connects: u64,
    /// Requests sent during the warm-up, not counted above.
    pub warmup_requests: u64,
}

fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

impl Report {
    /// Builds the report of a finished load.
    pub fn new(
        endpoint: &str,
        operation: &str,
        workload: &str,
        options: &LoadOptions,
        stats: &Stats,
    ) -> Report {
        let h = &stats.latency;
        Report {
            endpoint: endpoint.to_owned(),
            operation: operation.to_owned(),
            workload: workload.to_owned(),
            connections: options.connections,
            seconds: stats.elapsed.as_secs_f64(),
            ok: stats.ok,
            requests_per_second: stats.ok_per_second(),
            latency_ms: LatencyMs {
                min: ms(h.min()),
                mean: h.mean() / 1e6,
                p50: ms(h.quantile(0.50)),
                p90: ms(h.quantile(0.90)),
                p99: ms(h.quantile(0.99)),
                p999: ms(h.quantile(0.999)),
                max: ms(h.max()),
            },
            throttled: stats.throttled,
            errors: stats.errors.clone(),
            transport_errors: stats
                .transport_errors
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            connects: stats.connects,
            warmup_requests: stats.warmup_requests,
        }
    }

    /// Failed requests of every kind (throttling included).
    pub fn failed(&self) -> u64 {
        self.throttled
            + self.errors.values().sum::<u64>()
            + self.transport_errors.values().sum::<u64>()
    }

    /// The report as an aligned table.
    pub fn table(&self) -> String {
        let l = &self.latency_ms;
        let mut out = String::new();
        let mut row = |name: &str, value: String| {
            out.push_str(&format!("{name:<18} {value}\n"));
        };
        row("endpoint", self.endpoint.clone());
        row("workload", self.workload.clone());
        row(
            "load",
            format!(
                "{} connections, {:.2} s measured",
                self.connections, self.seconds
            ),
        );
        row(
            "throughput",
            format!("{:.0} req/s ({} ok)", self.requests_per_second, self.ok),
        );
        row(
            "latency (ms)",
            format!(
                "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  (min {:.3}, mean {:.3})",
                l.p50, l.p90, l.p99, l.p999, l.max, l.min, l.mean
            ),
        );
        row("throttled", self.throttled.to_string());
        if self.errors.is_empty() && self.transport_errors.is_empty() {
            row("errors", "0".to_owned());
        }
        for (code, n) in &self.errors {
            row("error", format!("{code}: {n}"));
        }
        for (kind, n) in &self.transport_errors {
            row("no response", format!("{kind}: {n}"));
        }
        row("connections made", self.connects.to_string());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn reports_rates_quantiles_and_errors() {
        let mut stats = Stats::default();
        for i in 1..=1000u64 {
            stats.latency.record(i * 1000); // 1 µs .. 1 ms
        }
        stats.ok = 1000;
        stats.throttled = 5;
        stats.errors.insert("NotFoundException".into(), 2);
        stats.transport_errors.insert("timeout", 1);
        stats.elapsed = Duration::from_millis(500);
        stats.connects = 4;
        let options = LoadOptions {
            connections: 4,
            duration: Duration::from_secs(1),
            max_requests: None,
            warmup: Duration::ZERO,
            request_timeout: Duration::from_secs(5),
        };
        let r = Report::new("http://127.0.0.1:1", "Decrypt", "Decrypt", &options, &stats);
        assert_eq!(r.requests_per_second, 2000.0);
        assert_eq!(r.failed(), 8);
        assert_eq!(stats.total(), 1008);
        assert!(
            (r.latency_ms.p50 - 0.5).abs() <= 0.5 / 64.0 + 1e-9,
            "{}",
            r.latency_ms.p50
        );
        assert!((r.latency_ms.p99 - 0.99).abs() <= 0.99 / 64.0 + 1e-9);
        assert_eq!(r.latency_ms.max, 1.0);
        let json: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(json["requests_per_second"], 2000.0);
        assert_eq!(json["errors"]["NotFoundException"], 2);
        assert_eq!(json["transport_errors"]["timeout"], 1);
        let table = r.table();
        assert!(table.contains("2000 req/s"), "{table}");
        assert!(table.contains("NotFoundException: 2"), "{table}");
    }
}
