//! Running a load: N connections, each sending the next request as soon as
//! the previous one is answered (a closed loop), until the time is up or
//! the request budget is spent.
//!
//! Latency is measured from writing the request to reading the last byte
//! of the response; signing happens before the clock starts, as it does
//! before a real client's request reaches the wire. In a closed loop a
//! stalled server also delays the requests that were not sent meanwhile
//! (coordinated omission), so p99 here is a lower bound under overload.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::histogram::Histogram;
use crate::http::{Connection, Response, TransportError};
use crate::kms::{RequestBuilder, error_type, is_throttling, target, unix_now};
use crate::workload::Prepared;

/// How much load, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Concurrent connections, one request in flight on each.
    pub connections: usize,
    /// How long to measure, after the warm-up.
    pub duration: Duration,
    /// At most this many requests in all (warm-up included).
    pub max_requests: Option<u64>,
    /// Requests started during this first period are not measured.
    pub warmup: Duration,
    /// A request unanswered this long counts as a timeout.
    pub request_timeout: Duration,
}

/// What one load measured.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Latency of successful requests, nanoseconds.
    pub latency: Histogram,
    /// Successful requests (HTTP 200).
    pub ok: u64,
    /// Throttled requests (`ThrottlingException`, HTTP 429).
    pub throttled: u64,
    /// Other error responses, by `__type`.
    pub errors: BTreeMap<String, u64>,
    /// Requests without a response, by cause.
    pub transport_errors: BTreeMap<&'static str, u64>,
    /// Connections opened (more than the connection count means the server
    /// closed connections).
    pub connects: u64,
    /// From the end of the warm-up to the last measured response.
    pub elapsed: Duration,
    /// Requests sent during the warm-up (not in the other counts).
    pub warmup_requests: u64,
}

impl Stats {
    /// Every measured request, whatever its outcome.
    pub fn total(&self) -> u64 {
        self.ok
            + self.throttled
            + self.errors.values().sum::<u64>()
            + self.transport_errors.values().sum::<u64>()
    }

    /// Successful requests per second.
    pub fn ok_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    fn merge(&mut self, other: Stats) {
        self.latency.merge(&other.latency);
        self.ok += other.ok;
        self.throttled += other.throttled;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for (k, v) in other.transport_errors {
            *self.transport_errors.entry(k).or_default() += v;
        }
        self.connects += other.connects;
        self.elapsed = self.elapsed.max(other.elapsed);
        self.warmup_requests += other.warmup_requests;
    }
}

/// Shared by every connection task.
struct Plan {
    builder: Arc<RequestBuilder>,
    target: String,
    body: Vec<u8>,
    measure_from: Instant,
    stop_at: Instant,
    request_timeout: Duration,
    /// Requests left to send (`u64::MAX` when unbounded).
    budget: AtomicU64,
}

/// Runs the load on the current tokio runtime and returns the merged stats.
pub async fn run(
    builder: Arc<RequestBuilder>,
    prepared: &Prepared,
    options: &LoadOptions,
) -> Result<Stats> {
    let start = Instant::now();
    let measure_from = start + options.warmup;
    let plan = Arc::new(Plan {
        builder,
        target: target(prepared.operation.as_str()),
        body: prepared.body.clone(),
        measure_from,
        stop_at: measure_from + options.duration,
        request_timeout: options.request_timeout,
        budget: AtomicU64::new(options.max_requests.unwrap_or(u64::MAX)),
    });
    let tasks: Vec<_> = (0..options.connections.max(1))
        .map(|_| tokio::spawn(connection_loop(Arc::clone(&plan))))
        .collect();
    let mut stats = Stats::default();
    for task in tasks {
        stats.merge(task.await??);
    }
    Ok(stats)
}

async fn connection_loop(plan: Arc<Plan>) -> Result<Stats> {
    let mut stats = Stats::default();
    let mut conn = Connection::new(plan.builder.endpoint().addr);
    let mut request = Vec::with_capacity(2048);
    let mut response = Response::default();
    let mut last_done = None;
    loop {
        if Instant::now() >= plan.stop_at {
            break;
        }
        if plan
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_err()
        {
            break;
        }
        request.clear();
        plan.builder
            .build(&plan.target, &plan.body, unix_now(), &mut request)?;

        let sent = Instant::now();
        let outcome = tokio::time::timeout(
            plan.request_timeout,
            conn.round_trip(&request, &mut response),
        )
        .await;
        let done = Instant::now();
        let outcome = match outcome {
            Ok(result) => result,
            Err(_) => {
                // The half-read response would poison the connection.
                stats.connects += conn.connects;
                conn = Connection::new(plan.builder.endpoint().addr);
                Err(TransportError::Timeout)
            }
        };
        if sent < plan.measure_from {
            stats.warmup_requests += 1;
            continue;
        }
        last_done = Some(done);
        match outcome {
            Ok(()) if response.status == 200 && response.body.first() == Some(&b'{') => {
                stats.ok += 1;
                let nanos = done.duration_since(sent).as_nanos();
                stats
                    .latency
                    .record(u64::try_from(nanos).unwrap_or(u64::MAX));
            }
            Ok(()) => {
                let code = error_type(response.status, &response.body);
                if is_throttling(response.status, &code) {
                    stats.throttled += 1;
                } else {
                    *stats.errors.entry(code).or_default() += 1;
                }
            }
            Err(e) => {
                *stats.transport_errors.entry(e.as_str()).or_default() += 1;
                if e == TransportError::Connect {
                    // Do not spin on a refused connection.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    stats.connects += conn.connects;
    stats.elapsed = last_done.map_or(Duration::ZERO, |d| {
        d.saturating_duration_since(plan.measure_from)
    });
    Ok(stats)
}
