//! The benchmark results: median/min/max of the samples, `bench/results.json`
//! (every section of the last run of each benchmark), `bench/RESULTS.md`
//! (ratios against each peer first, absolute numbers second, the targets)
//! and `bench/chart.svg` (the ratios as bars on a log scale).
//!
//! Nothing here measures: it only summarises what the benchmarks wrote, so
//! it is unit-tested with made-up samples.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

/// Our library's name in the records.
pub const OURS: &str = "kms-envelope";
/// The AWS Encryption SDK for JavaScript's name in the records.
pub const ESDK: &str = "ESDK-JS";
/// Raw WebCrypto AES-256-GCM's name in the records.
pub const WEBCRYPTO: &str = "WebCrypto";

/// Median, minimum and maximum of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// The middle sample (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
}

/// The statistics of `samples`, ignoring non-finite values; `None` if none
/// is left.
pub fn stats(samples: &[f64]) -> Option<Stats> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Stats {
        median,
        min: v[0],
        max: v[n - 1],
    })
}

/// Adds `median`, `min`, `max` and `count` to every record that has a
/// `runs` array of numbers.
pub fn summarize(records: &mut Value) {
    let Some(list) = records.as_array_mut() else {
        return;
    };
    for record in list {
        let samples: Vec<f64> = record
            .get("runs")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        if let (Some(s), Some(obj)) = (stats(&samples), record.as_object_mut()) {
            obj.insert("median".into(), json!(s.median));
            obj.insert("min".into(), json!(s.min));
            obj.insert("max".into(), json!(s.max));
            obj.insert("count".into(), json!(samples.len()));
        }
    }
}

/// Replaces the sections of `previous` (a results.json document, or
/// anything else) that `fresh` holds; keeps the others as they were.
pub fn merge(previous: Option<Value>, fresh: Map<String, Value>) -> Value {
    let mut sections = previous
        .and_then(|p| p.get("sections").and_then(Value::as_object).cloned())
        .unwrap_or_default();
    for (name, section) in fresh {
        sections.insert(name, section);
    }
    json!({
        "about": "cargo xtask bench: each section is one run on one machine; compare within a section",
        "sections": sections,
    })
}

fn median_of(records: &Value, library: &str, suite: Option<&str>, metric: &str) -> Option<f64> {
    records.as_array()?.iter().find_map(|r| {
        let same = r.get("library")?.as_str()? == library
            && r.get("suite").and_then(Value::as_str) == suite
            && r.get("metric")?.as_str()? == metric;
        if same {
            r.get("median")?.as_f64()
        } else {
            None
        }
    })
}

/// One ratio of the comparison: ours against a peer for one figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// Which part of the benchmark (`client`, `memory`, `server`, `size`).
    pub section: &'static str,
    /// What is compared, for people ("Node 0x0478 encrypt+decrypt 16 MiB").
    pub label: String,
    /// The peer's name.
    pub peer: String,
    /// How many times better ours is: above 1 is better, whichever way the
    /// unit goes (rates are ours/peer, sizes and latencies peer/ours).
    pub value: f64,
    /// The target for this ratio, when the npm package's issue sets one.
    pub target: Option<f64>,
}

fn runtime_name(runtime: &str) -> &str {
    match runtime {
        "node" => "Node",
        "chromium" => "Chromium",
        other => other,
    }
}

/// The suffix of the 16 MiB metrics measured at both libraries' default
/// frame length (4,096 bytes); the plain ones are at the run's
/// `frameLength` (64 KiB).
const DEFAULT_FRAMES: &str = ", 4 KiB frames";

/// The client metrics compared, in the order of the report.
const CLIENT_METRICS: [&str; 9] = [
    "encrypt 16 MiB",
    "decrypt 16 MiB",
    "encrypt+decrypt 16 MiB",
    "encrypt 16 MiB, 4 KiB frames",
    "decrypt 16 MiB, 4 KiB frames",
    "encrypt+decrypt 16 MiB, 4 KiB frames",
    "1 KiB encrypt",
    "1 KiB decrypt",
    "1 KiB encrypt+decrypt",
];

/// `metric` without the default-frame-length suffix: the figure a peer
/// without frames (raw WebCrypto) is compared on.
fn unframed(metric: &str) -> &str {
    metric.strip_suffix(DEFAULT_FRAMES).unwrap_or(metric)
}

/// The client metric each throughput target applies to, with the factor:
/// the issue's 2x is of the SDK's encrypt+decrypt "with the same suite and
/// frame length", so it applies at either frame length; its 10x is of the
/// SDK's 1 KiB "messages/s encrypt" (decrypts and round trips are reported
/// beside it, without a target).
fn client_target(metric: &str) -> Option<f64> {
    match unframed(metric) {
        "encrypt+decrypt 16 MiB" => Some(2.0),
        "1 KiB encrypt" => Some(10.0),
        _ => None,
    }
}

/// Every ratio the results allow, in the order of the report.
pub fn ratios(doc: &Value) -> Vec<Ratio> {
    let mut out = Vec::new();
    let sections = &doc["sections"];
    for run in sections["client"]["runtimes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let runtime = runtime_name(run["runtime"].as_str().unwrap_or("?"));
        let figures = &run["figures"];
        for suite in ["0x0478", "0x0578"] {
            for metric in CLIENT_METRICS {
                let Some(ours) = median_of(figures, OURS, Some(suite), metric) else {
                    continue;
                };
                // Raw WebCrypto has no frames: its one call is the peer at
                // every frame length.
                for (peer, peer_suite, peer_metric) in [
                    (ESDK, Some(suite), metric),
                    (WEBCRYPTO, None, unframed(metric)),
                ] {
                    if let Some(theirs) = median_of(figures, peer, peer_suite, peer_metric) {
                        out.push(Ratio {
                            section: "client",
                            label: format!("{runtime} {suite} {metric}"),
                            peer: peer.into(),
                            value: ours / theirs,
                            target: (peer == ESDK).then(|| client_target(metric)).flatten(),
                        });
                    }
                }
            }
        }
    }
    for run in sections["client"]["memory"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let runtime = runtime_name(run["runtime"].as_str().unwrap_or("?"));
        let figures = &run["figures"];
        for suite in ["0x0478", "0x0578"] {
            let Some(ours) = median_of(figures, OURS, Some(suite), "stream peak RSS") else {
                continue;
            };
            for (peer, peer_suite) in [(ESDK, Some(suite)), (WEBCRYPTO, None)] {
                if let Some(theirs) = median_of(figures, peer, peer_suite, "stream peak RSS") {
                    out.push(Ratio {
                        section: "memory",
                        label: format!("{runtime} {suite} stream peak RSS"),
                        peer: peer.into(),
                        value: theirs / ours,
                        target: None,
                    });
                }
            }
        }
    }
    for w in sections["server"]["workloads"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = w["name"].as_str().unwrap_or("?");
        let (ours, moto) = (&w["kms-server"], &w["moto"]);
        let pairs = [
            ("req/s", ours["rps"].as_f64(), moto["rps"].as_f64(), false),
            (
                "p99",
                ours["p99_ms"].as_f64(),
                moto["p99_ms"].as_f64(),
                true,
            ),
        ];
        for (what, o, m, lower_is_better) in pairs {
            if let (Some(o), Some(m)) = (o, m)
                && o > 0.0
                && m > 0.0
            {
                out.push(Ratio {
                    section: "server",
                    label: format!("{name} {what}"),
                    peer: "moto".into(),
                    value: if lower_is_better { m / o } else { o / m },
                    target: None,
                });
            }
        }
    }
    let bundles = &sections["size"]["bundles"];
    let bundle_gzip = |name: &str| {
        let b = &bundles[name];
        Some(b["js"]["gzip"].as_f64()? + b["wasm"]["gzip"].as_f64().unwrap_or(0.0))
    };
    if let (Some(o), Some(e)) = (bundle_gzip(OURS), bundle_gzip("esdk"))
        && o > 0.0
    {
        out.push(Ratio {
            section: "size",
            label: "browser bundle, gzipped (JS + .wasm)".into(),
            peer: ESDK.into(),
            value: e / o,
            target: None,
        });
    }
    out
}

/// One target of the npm package's issue, checked against the results.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target as the issue states it.
    pub what: String,
    /// What was measured, for people.
    pub measured: String,
    /// `None` when the results lack the figure.
    pub met: Option<bool>,
}

/// The targets' byte limits: "KB" read as 1,024 bytes (the generous reading).
const FULL_GZIP_LIMIT: f64 = 128.0 * 1024.0;
const MINIMAL_GZIP_LIMIT: f64 = 60.0 * 1024.0;
/// GenerateDataKey calls allowed per 1,000 messages with the cache.
const CACHED_GDK_LIMIT: f64 = 10.0;

/// Every target, met or not, from the results.
pub fn targets(doc: &Value) -> Vec<Target> {
    let mut out = Vec::new();
    let size = &doc["sections"]["size"]["wasm"];
    for (build, limit, cmp) in [
        ("full", FULL_GZIP_LIMIT, "≤ 128 KB"),
        ("minimal", MINIMAL_GZIP_LIMIT, "< 60 KB"),
    ] {
        let gzip = size[build]["gzip"].as_f64();
        out.push(Target {
            what: format!(".wasm gzipped, {build} build, {cmp}"),
            measured: gzip.map_or("not measured".into(), |g| format!("{:.1} KB", g / 1024.0)),
            met: gzip.map(|g| {
                if build == "full" {
                    g <= limit
                } else {
                    g < limit
                }
            }),
        });
    }
    let all = ratios(doc);
    for runtime in ["Node", "Chromium"] {
        for suite in ["0x0478", "0x0578"] {
            for (metric, factor) in CLIENT_METRICS
                .iter()
                .filter_map(|m| Some((*m, client_target(m)?)))
            {
                let label = format!("{runtime} {suite} {metric}");
                let r = all
                    .iter()
                    .find(|r| r.section == "client" && r.peer == ESDK && r.label == label);
                out.push(Target {
                    what: format!("{label} ≥ {factor}x ESDK-JS"),
                    measured: r.map_or("not measured".into(), |r| format!("{:.2}x", r.value)),
                    met: r.map(|r| r.value >= factor),
                });
            }
        }
    }
    let cached = doc["sections"]["cache"]["records"]
        .as_array()
        .and_then(|list| {
            list.iter().find(|r| {
                r["library"].as_str() == Some(OURS) && r["cached"].as_bool() == Some(true)
            })
        })
        .and_then(|r| r["generateDataKey"].as_f64());
    let messages = doc["sections"]["cache"]["messages"].as_f64();
    out.push(Target {
        what: "1,000 encryptions with a caching session (maxMessages 100): ≤ 10 GenerateDataKey"
            .into(),
        measured: match (cached, messages) {
            (Some(c), Some(m)) => format!("{c:.0} per {m:.0} messages"),
            _ => "not measured".into(),
        },
        met: match (cached, messages) {
            (Some(c), Some(m)) if m >= 1000.0 => Some(c <= CACHED_GDK_LIMIT),
            _ => None,
        },
    });
    out
}

/// Thousands separators for people: 1234567.8 → "1,234,568".
pub fn group(n: f64) -> String {
    if !n.is_finite() {
        return "-".into();
    }
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 && digits != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// A ratio with enough digits to stay readable from 0.001x to 1000x.
pub fn times(r: f64) -> String {
    if !r.is_finite() {
        "-".into()
    } else if r >= 10.0 {
        format!("{r:.0}x")
    } else if r >= 0.1 {
        format!("{r:.2}x")
    } else {
        format!("{r:.3}x")
    }
}

fn unit_value(unit: &str, v: f64) -> String {
    match unit {
        "B/s" => format!("{} MB/s", group(v / 1e6)),
        "msg/s" => format!("{} msg/s", group(v)),
        "B" => format!("{} MiB", group(v / 1_048_576.0)),
        other => format!("{} {other}", group(v)),
    }
}

fn section_header(out: &mut String, title: &str, section: &Value) {
    let _ = writeln!(
        out,
        "\n### {title}\n\n{} — {}\n",
        section["date"].as_str().unwrap_or("date unknown"),
        section["machine"].as_str().unwrap_or("machine unknown")
    );
}

/// `bench/RESULTS.md`: ratios first, then the absolute numbers, then the
/// targets and how everything was measured.
pub fn markdown(doc: &Value) -> String {
    let s = &doc["sections"];
    let all = ratios(doc);
    let mut out = String::from(
        "# Benchmark results\n\nWritten by `cargo xtask bench` from `results.json`. \
         Each section below is one run on one machine; the machine is shared, so numbers \
         vary from run to run: compare within a section, never across runs. \
         Ratios are \"times better than the peer\": above 1x kms-envelope is faster, \
         smaller or uses less memory.\n",
    );

    out.push_str("\n## Targets of the npm package\n\n| target | measured | met |\n|---|---|---|\n");
    for t in targets(doc) {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(out, "| {} | {} | {met} |", t.what, t.measured);
    }

    out.push_str("\n## Ratios\n");
    if s.get("client").is_some() {
        section_header(
            &mut out,
            "Client: kms-envelope against each peer",
            &s["client"],
        );
        out.push_str(
            "| runtime, suite, figure | vs ESDK-JS | vs WebCrypto AES-GCM |\n|---|---|---|\n",
        );
        let mut labels: Vec<&str> = Vec::new();
        for r in all
            .iter()
            .filter(|r| matches!(r.section, "client" | "memory"))
        {
            if !labels.contains(&r.label.as_str()) {
                labels.push(&r.label);
            }
        }
        for label in labels {
            let cell = |peer: &str| {
                all.iter()
                    .find(|r| r.label == label && r.peer == peer)
                    .map_or("-".into(), |r| match r.target {
                        Some(t) => format!("{} (target {})", times(r.value), times(t)),
                        None => times(r.value),
                    })
            };
            let _ = writeln!(out, "| {label} | {} | {} |", cell(ESDK), cell(WEBCRYPTO));
        }
    }
    if s.get("server").is_some() {
        section_header(&mut out, "kms-server against moto", &s["server"]);
        out.push_str("| operation, figure | vs moto |\n|---|---|\n");
        for r in all.iter().filter(|r| r.section == "server") {
            let _ = writeln!(out, "| {} | {} |", r.label, times(r.value));
        }
    }
    if s.get("size").is_some() {
        section_header(&mut out, "Size against the browser ESDK", &s["size"]);
        out.push_str("| figure | vs ESDK-JS |\n|---|---|\n");
        for r in all.iter().filter(|r| r.section == "size") {
            let _ = writeln!(out, "| {} | {} |", r.label, times(r.value));
        }
    }

    out.push_str("\n## Absolute numbers\n");
    if let Some(client) = s.get("client") {
        section_header(&mut out, "Client", client);
        let _ = writeln!(
            out,
            "Raw AES keyring (one 256-bit key, same names) in both libraries, frame length {} \
             bytes (\"4 KiB frames\": 4,096 bytes, both libraries' default), no data-key cache; \
             WebCrypto is one AES-256-GCM call per message over the same bytes (no message \
             format). 1 KiB figures are messages per second: encrypts alone, decrypts of those ciphertexts, and \
             encrypt+decrypt round trips. Median (min–max) of the \
             runs shown.\n",
            group(client["frameLength"].as_f64().unwrap_or(f64::NAN))
        );
        out.push_str(
            "| runtime | library | suite | figure | median | min–max | runs |\n|---|---|---|---|---|---|---|\n",
        );
        for run in client["runtimes"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(client["memory"].as_array().into_iter().flatten())
        {
            let runtime = format!(
                "{} {}",
                runtime_name(run["runtime"].as_str().unwrap_or("?")),
                run["version"].as_str().unwrap_or("")
            );
            for f in run["figures"].as_array().into_iter().flatten() {
                let unit = f["unit"].as_str().unwrap_or("");
                let v = |k: &str| unit_value(unit, f[k].as_f64().unwrap_or(f64::NAN));
                let _ = writeln!(
                    out,
                    "| {runtime} | {} | {} | {} | {} | {}–{} | {} |",
                    f["library"].as_str().unwrap_or("?"),
                    f["suite"].as_str().unwrap_or("-"),
                    f["metric"].as_str().unwrap_or("?"),
                    v("median"),
                    v("min"),
                    v("max"),
                    f["count"].as_u64().unwrap_or(0)
                );
            }
        }
        for run in client["memory"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "\n{}: {} MiB streamed; {}. Baseline (modules loaded, nothing streamed): {}.",
                runtime_name(run["runtime"].as_str().unwrap_or("?")),
                group(run["streamBytes"].as_f64().unwrap_or(f64::NAN) / 1_048_576.0),
                run["measured"].as_str().unwrap_or("peak RSS"),
                unit_value("B", run["baselineRss"].as_f64().unwrap_or(f64::NAN))
            );
        }
        out.push_str(
            "\nkms-envelope's `decryptStream` releases nothing of a signed message (0x0578) \
             before its signature verifies, so it holds the whole plaintext until the end; the \
             ESDK-JS's Node `decryptStream` releases frames before the signature is checked. The \
             browser ESDK runs with the `buffer` package as its `Buffer` (its dependencies need \
             one); it has no streaming API.\n",
        );
        let checks: Vec<String> = client["runtimes"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|run| {
                let runtime = runtime_name(run["runtime"].as_str().unwrap_or("?")).to_owned();
                run["crossCheck"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(move |c| {
                        format!(
                            "{runtime} {}: {} → {} {}",
                            c["suite"].as_str().unwrap_or("?"),
                            c["from"].as_str().unwrap_or("?"),
                            c["to"].as_str().unwrap_or("?"),
                            if c["ok"].as_bool() == Some(true) {
                                "ok"
                            } else {
                                "FAILED"
                            }
                        )
                    })
            })
            .collect();
        if !checks.is_empty() {
            let _ = writeln!(
                out,
                "\nCross-check before measuring (each library decrypts the other's message): {}.",
                checks.join("; ")
            );
        }
    }
    if let Some(cache) = s.get("cache") {
        section_header(&mut out, "Cache effect against kms-server", cache);
        let _ = writeln!(
            out,
            "KMS keyring on one kms-server key, {} messages of 1 KiB encrypted then decrypted, \
             caches at maxMessages {}.\n",
            group(cache["messages"].as_f64().unwrap_or(f64::NAN)),
            group(cache["maxMessages"].as_f64().unwrap_or(f64::NAN))
        );
        out.push_str("| library | cache | GenerateDataKey | Decrypt | KMS calls | encrypt s | decrypt s |\n|---|---|---|---|---|---|---|\n");
        for r in cache["records"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.2} | {:.2} |",
                r["library"].as_str().unwrap_or("?"),
                if r["cached"].as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                },
                group(r["generateDataKey"].as_f64().unwrap_or(f64::NAN)),
                group(r["decrypt"].as_f64().unwrap_or(f64::NAN)),
                group(r["totalCalls"].as_f64().unwrap_or(f64::NAN)),
                r["encryptSeconds"].as_f64().unwrap_or(f64::NAN),
                r["decryptSeconds"].as_f64().unwrap_or(f64::NAN),
            );
        }
    }
    if let Some(server) = s.get("server") {
        section_header(&mut out, "kms-server and moto", server);
        let _ = writeln!(
            out,
            "{}\n\n| server | operation | req/s | p50 ms | p99 ms | ok | failed |\n|---|---|---|---|---|---|---|",
            server["load"].as_str().unwrap_or("")
        );
        for w in server["workloads"].as_array().into_iter().flatten() {
            for name in ["kms-server", "moto"] {
                let r = &w[name];
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} | {:.2} | {:.2} | {} | {} |",
                    w["name"].as_str().unwrap_or("?"),
                    group(r["rps"].as_f64().unwrap_or(f64::NAN)),
                    r["p50_ms"].as_f64().unwrap_or(f64::NAN),
                    r["p99_ms"].as_f64().unwrap_or(f64::NAN),
                    group(r["ok"].as_f64().unwrap_or(f64::NAN)),
                    group(r["failed"].as_f64().unwrap_or(f64::NAN)),
                );
            }
        }
    }
    if let Some(size) = s.get("size") {
        section_header(&mut out, "Size", size);
        out.push_str("| artefact | bytes | gzipped |\n|---|---|---|\n");
        for (build, what) in [
            (
                "full",
                "kms-envelope .wasm, full build (wasm-release profile, wasm-opt -Os)",
            ),
            (
                "minimal",
                "kms-envelope .wasm, minimal build (--no-default-features, same profile)",
            ),
        ] {
            let w = &size["wasm"][build];
            let _ = writeln!(
                out,
                "| {what} | {} | {} |",
                group(w["raw"].as_f64().unwrap_or(f64::NAN)),
                group(w["gzip"].as_f64().unwrap_or(f64::NAN))
            );
        }
        for (name, what) in [
            (OURS, "kms-envelope browser bundle: minified JS glue"),
            (
                "esdk",
                "ESDK-JS browser bundle (@aws-crypto/client-browser, raw AES keyring, encrypt+decrypt): minified JS",
            ),
        ] {
            let b = &size["bundles"][name];
            if b.is_null() {
                continue;
            }
            let _ = writeln!(
                out,
                "| {what} | {} | {} |",
                group(b["js"]["raw"].as_f64().unwrap_or(f64::NAN)),
                group(b["js"]["gzip"].as_f64().unwrap_or(f64::NAN))
            );
        }
        let _ = writeln!(
            out,
            "\nBundles are Vite production builds of a page that imports only what encrypting \
             and decrypting needs; the kms-envelope bundle also loads the full .wasm above. \
             Gzip level 9."
        );
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn peer_color(peer: &str) -> &'static str {
    match peer {
        ESDK => "#3b6fb6",
        WEBCRYPTO => "#e08a1e",
        _ => "#3a9a5b",
    }
}

/// `bench/chart.svg`: one horizontal bar per ratio on a log scale centred
/// on 1x, coloured by peer, with the target as a dashed tick.
pub fn chart(doc: &Value, subtitle: &str) -> String {
    let all: Vec<Ratio> = ratios(doc)
        .into_iter()
        .filter(|r| r.value.is_finite() && r.value > 0.0)
        .collect();
    // Wide enough for the longest "<label> vs <peer>" at about 6.2 px a
    // character of the 11 px sans-serif.
    let longest = all
        .iter()
        .map(|r| r.label.chars().count() + 4 + r.peer.chars().count())
        .max()
        .unwrap_or(0);
    let label_w = (longest as f64 * 6.2 + 16.0).max(300.0);
    let (bar_w, row_h, top) = (560.0, 16.0, 64.0);
    let lo = all
        .iter()
        .map(|r| r.value)
        .chain(all.iter().filter_map(|r| r.target))
        .fold(1.0_f64, f64::min)
        .log10()
        .floor()
        .min(-1.0);
    let hi = all
        .iter()
        .map(|r| r.value)
        .chain(all.iter().filter_map(|r| r.target))
        .fold(1.0_f64, f64::max)
        .log10()
        .ceil()
        .max(1.0);
    let x = |v: f64| label_w + (v.log10() - lo) / (hi - lo) * bar_w;
    let mut rows = String::new();
    let mut y = top;
    let mut previous_section = "";
    for r in &all {
        if r.section != previous_section {
            y += 12.0;
            let _ = writeln!(
                rows,
                r#"<text x="8" y="{:.1}" font-weight="bold">{}</text>"#,
                y + 10.0,
                match r.section {
                    "client" => "Client throughput",
                    "memory" => "Stream peak memory (less is better: shown as peer ÷ ours)",
                    "server" => "kms-server vs moto (p99: moto ÷ ours)",
                    _ => "Browser bundle size (peer ÷ ours)",
                }
            );
            y += row_h;
            previous_section = r.section;
        }
        let (x1, x0) = (x(r.value), x(1.0));
        let _ = writeln!(
            rows,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{} vs {}</text><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
            label_w - 6.0,
            y + 11.0,
            escape(&r.label),
            escape(&r.peer),
            x0.min(x1),
            y + 2.0,
            (x1 - x0).abs().max(1.0),
            row_h - 4.0,
            peer_color(&r.peer),
            // Right of the bar, and of the target's tick when there is one.
            x0.max(x1).max(r.target.map_or(0.0, &x)) + 4.0,
            y + 11.0,
            times(r.value)
        );
        if let Some(t) = r.target {
            let _ = writeln!(
                rows,
                r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="#c00" stroke-width="2" stroke-dasharray="3,2"/>"##,
                x(t),
                y,
                y + row_h
            );
        }
        y += row_h;
    }
    let height = y + 40.0;
    let width = label_w + bar_w + 70.0;
    let mut grid = String::new();
    let mut e = lo;
    while e <= hi {
        let gx = x(10f64.powf(e));
        let _ = writeln!(
            grid,
            r##"<line x1="{gx:.1}" x2="{gx:.1}" y1="{top:.1}" y2="{:.1}" stroke="{}" stroke-width="{}"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle" fill="#555">{}</text>"##,
            y + 4.0,
            if e == 0.0 { "#000" } else { "#ddd" },
            if e == 0.0 { 1.5 } else { 1.0 },
            y + 18.0,
            times(10f64.powf(e))
        );
        e += 1.0;
    }
    let mut legend = String::new();
    let mut lx = label_w;
    for peer in [ESDK, WEBCRYPTO, "moto"] {
        if all.iter().any(|r| r.peer == peer) {
            let _ = write!(
                legend,
                r#"<rect x="{lx:.1}" y="36" width="12" height="12" fill="{}"/><text x="{:.1}" y="46">{}</text>"#,
                peer_color(peer),
                lx + 16.0,
                escape(peer)
            );
            lx += 110.0;
        }
    }
    let _ = write!(
        legend,
        r##"<line x1="{0:.1}" x2="{0:.1}" y1="35" y2="49" stroke="#c00" stroke-width="2" stroke-dasharray="3,2"/><text x="{1:.1}" y="46">target</text>"##,
        lx + 6.0,
        lx + 14.0
    );
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="18" font-size="14" font-weight="bold">kms-envelope: times better than each peer (log scale; right of 1x is better)</text>
<text x="8" y="32" fill="#555">{}</text>
{legend}
{grid}{rows}</svg>
"##,
        escape(subtitle)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max() {
        let s = stats(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        let s = stats(&[4.0, 1.0, 3.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.5, 1.0, 10.0));
        let s = stats(&[f64::NAN, 2.0]).unwrap();
        assert_eq!(s.median, 2.0);
        assert_eq!(stats(&[]), None);
        assert_eq!(stats(&[f64::INFINITY]), None);
    }

    #[test]
    fn summarize_adds_statistics() {
        let mut v = json!([{"runs": [3.0, 1.0, 2.0]}, {"runs": []}, {"other": 1}]);
        summarize(&mut v);
        assert_eq!(v[0]["median"], json!(2.0));
        assert_eq!(v[0]["min"], json!(1.0));
        assert_eq!(v[0]["max"], json!(3.0));
        assert_eq!(v[0]["count"], json!(3));
        assert!(v[1].get("median").is_none());
        assert!(v[2].get("median").is_none());
    }

    #[test]
    fn merge_replaces_only_fresh_sections() {
        let old = json!({"sections": {"client": {"date": "old"}, "size": {"date": "old"}}});
        let mut fresh = Map::new();
        fresh.insert("size".into(), json!({"date": "new"}));
        let merged = merge(Some(old), fresh.clone());
        assert_eq!(merged["sections"]["client"]["date"], "old");
        assert_eq!(merged["sections"]["size"]["date"], "new");
        let merged = merge(Some(json!("garbage")), fresh);
        assert_eq!(merged["sections"].as_object().unwrap().len(), 1);
    }

    fn figure(library: &str, suite: Option<&str>, metric: &str, unit: &str, runs: &[f64]) -> Value {
        json!({"library": library, "suite": suite, "metric": metric, "unit": unit, "runs": runs})
    }

    /// A document with every section, made-up numbers.
    fn sample() -> Value {
        let mut figures = json!([
            figure(
                OURS,
                Some("0x0478"),
                "encrypt+decrypt 16 MiB",
                "B/s",
                &[300e6, 310e6, 290e6, 305e6, 295e6]
            ),
            figure(
                ESDK,
                Some("0x0478"),
                "encrypt+decrypt 16 MiB",
                "B/s",
                &[100e6; 5]
            ),
            figure(
                WEBCRYPTO,
                None,
                "encrypt+decrypt 16 MiB",
                "B/s",
                &[600e6; 5]
            ),
            figure(
                OURS,
                Some("0x0478"),
                "encrypt+decrypt 16 MiB, 4 KiB frames",
                "B/s",
                &[150e6; 5]
            ),
            figure(
                ESDK,
                Some("0x0478"),
                "encrypt+decrypt 16 MiB, 4 KiB frames",
                "B/s",
                &[50e6; 5]
            ),
            figure(OURS, Some("0x0478"), "1 KiB encrypt", "msg/s", &[5000.0; 5]),
            figure(ESDK, Some("0x0478"), "1 KiB encrypt", "msg/s", &[1000.0; 5]),
            figure(OURS, Some("0x0478"), "1 KiB decrypt", "msg/s", &[4000.0; 5]),
            figure(ESDK, Some("0x0478"), "1 KiB decrypt", "msg/s", &[1000.0; 5]),
        ]);
        summarize(&mut figures);
        let mut memory = json!([
            figure(
                OURS,
                Some("0x0478"),
                "stream peak RSS",
                "B",
                &[100.0 * 1048576.0]
            ),
            figure(
                ESDK,
                Some("0x0478"),
                "stream peak RSS",
                "B",
                &[150.0 * 1048576.0]
            ),
        ]);
        summarize(&mut memory);
        json!({"sections": {
            "client": {"date": "2026-11-22 15:00 UTC", "machine": "2 CPUs", "frameLength": 65536,
                "runtimes": [{"runtime": "node", "version": "v20", "figures": figures,
                    "crossCheck": [{"from": OURS, "to": ESDK, "suite": "0x0478", "ok": true}]}],
                "memory": [{"runtime": "node", "version": "v20", "figures": memory, "streamBytes": 268435456.0,
                    "baselineRss": 50.0 * 1048576.0, "measured": "maxRSS"}]},
            "cache": {"date": "d", "machine": "m", "messages": 1000, "maxMessages": 100, "records": [
                {"library": OURS, "cached": false, "generateDataKey": 1000, "decrypt": 1000, "totalCalls": 2000, "encryptSeconds": 2.0, "decryptSeconds": 2.0},
                {"library": OURS, "cached": true, "generateDataKey": 10, "decrypt": 10, "totalCalls": 20, "encryptSeconds": 0.2, "decryptSeconds": 0.2}]},
            "server": {"date": "d", "machine": "m", "load": "32 connections", "workloads": [
                {"name": "GenerateDataKey", "kms-server": {"rps": 30000.0, "p50_ms": 1.0, "p99_ms": 2.0, "ok": 1, "failed": 0},
                 "moto": {"rps": 300.0, "p50_ms": 90.0, "p99_ms": 150.0, "ok": 1, "failed": 0}}]},
            "size": {"date": "d", "machine": "m", "wasm": {"full": {"raw": 800000, "gzip": 300000}, "minimal": {"raw": 500000, "gzip": 62000}},
                "bundles": {"kms-envelope": {"js": {"raw": 12000, "gzip": 4000}, "wasm": {"raw": 800000, "gzip": 300000}},
                            "esdk": {"js": {"raw": 200000, "gzip": 56000}, "wasm": {"raw": 0, "gzip": 0}}}}
        }})
    }

    #[test]
    fn ratios_go_the_right_way() {
        let r = ratios(&sample());
        let find = |label: &str, peer: &str| {
            r.iter()
                .find(|x| x.label == label && x.peer == peer)
                .unwrap_or_else(|| panic!("no {label} vs {peer} in {r:?}"))
                .clone()
        };
        let both = find("Node 0x0478 encrypt+decrypt 16 MiB", ESDK);
        assert!((both.value - 3.0).abs() < 1e-9);
        assert_eq!(both.target, Some(2.0));
        let web = find("Node 0x0478 encrypt+decrypt 16 MiB", WEBCRYPTO);
        assert!((web.value - 0.5).abs() < 1e-9);
        assert_eq!(web.target, None);
        let small = find("Node 0x0478 1 KiB encrypt", ESDK);
        assert!((small.value - 5.0).abs() < 1e-9);
        assert_eq!(small.target, Some(10.0));
        // Decrypts are reported without a target.
        let small_decrypt = find("Node 0x0478 1 KiB decrypt", ESDK);
        assert!((small_decrypt.value - 4.0).abs() < 1e-9);
        assert_eq!(small_decrypt.target, None);
        // At the default frame length: against the SDK at the same length,
        // and against WebCrypto's one call, which has no frames.
        let framed = find("Node 0x0478 encrypt+decrypt 16 MiB, 4 KiB frames", ESDK);
        assert!((framed.value - 3.0).abs() < 1e-9);
        assert_eq!(framed.target, Some(2.0));
        let framed_web = find(
            "Node 0x0478 encrypt+decrypt 16 MiB, 4 KiB frames",
            WEBCRYPTO,
        );
        assert!((framed_web.value - 0.25).abs() < 1e-9);
        assert_eq!(framed_web.target, None);
        // Memory and latency: less is better, so the ratio is peer ÷ ours.
        assert!((find("Node 0x0478 stream peak RSS", ESDK).value - 1.5).abs() < 1e-9);
        assert!((find("GenerateDataKey p99", "moto").value - 75.0).abs() < 1e-9);
        assert!((find("GenerateDataKey req/s", "moto").value - 100.0).abs() < 1e-9);
        let size = find("browser bundle, gzipped (JS + .wasm)", ESDK);
        assert!((size.value - 56000.0 / 304000.0).abs() < 1e-9);
        // No ESDK figure for 0x0578: no ratio invented.
        assert!(!r.iter().any(|x| x.label.contains("0x0578")));
    }

    #[test]
    fn targets_report_met_missed_and_absent() {
        let t = targets(&sample());
        let get = |prefix: &str| {
            t.iter()
                .find(|x| x.what.starts_with(prefix))
                .unwrap_or_else(|| panic!("no target {prefix}"))
                .clone()
        };
        assert_eq!(get(".wasm gzipped, full").met, Some(false));
        assert_eq!(get(".wasm gzipped, minimal").met, Some(false));
        assert_eq!(get("Node 0x0478 encrypt+decrypt 16 MiB ≥").met, Some(true));
        let framed = get("Node 0x0478 encrypt+decrypt 16 MiB, 4 KiB frames ≥ 2x");
        assert_eq!(
            (framed.met, framed.measured.as_str()),
            (Some(true), "3.00x")
        );
        assert_eq!(get("Node 0x0578 encrypt+decrypt 16 MiB, 4 KiB").met, None);
        assert_eq!(get("Node 0x0478 1 KiB encrypt ≥ 10x").met, Some(false));
        assert!(!t.iter().any(|x| x.what.contains("1 KiB decrypt")));
        assert_eq!(get("Node 0x0578 1 KiB").met, None);
        assert_eq!(get("Chromium 0x0478 1 KiB").met, None);
        assert_eq!(get("1,000 encryptions").met, Some(true));
        assert_eq!(get("1,000 encryptions").measured, "10 per 1000 messages");
        assert_eq!(
            targets(&json!({}))
                .iter()
                .filter(|t| t.met.is_some())
                .count(),
            0
        );
    }

    #[test]
    fn markdown_puts_ratios_before_absolutes() {
        let md = markdown(&sample());
        let ratios_at = md.find("## Ratios").unwrap();
        let absolute_at = md.find("## Absolute numbers").unwrap();
        assert!(md.find("## Targets").unwrap() < ratios_at);
        assert!(ratios_at < absolute_at);
        assert!(
            md.contains("| Node 0x0478 encrypt+decrypt 16 MiB | 3.00x (target 2.00x) | 0.50x |")
        );
        assert!(md.contains("| Node v20 | kms-envelope | 0x0478 | encrypt+decrypt 16 MiB | 300 MB/s | 290 MB/s–310 MB/s | 5 |"));
        assert!(md.contains("| GenerateDataKey req/s | 100x |"));
        assert!(md.contains("| kms-envelope | yes | 10 | 10 | 20 | 0.20 | 0.20 |"));
        assert!(md.contains("2026-11-22 15:00 UTC — 2 CPUs"));
        assert!(md.contains("Node 0x0478: kms-envelope → ESDK-JS ok"));
        assert!(md.contains("| .wasm gzipped, full build, ≤ 128 KB | 293.0 KB | **no** |"));
    }

    #[test]
    fn chart_is_well_formed_svg_with_one_bar_per_ratio() {
        let doc = sample();
        let svg = chart(&doc, "2 CPUs <shared> & busy");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("2 CPUs &lt;shared&gt; &amp; busy"));
        let bars = svg.matches("<rect ").count();
        // The background, one swatch per peer in the legend, one bar per ratio.
        assert_eq!(bars, 1 + 3 + ratios(&doc).len());
        // Three targets in the sample (2x at both frame lengths and 10x,
        // against the ESDK).
        assert_eq!(svg.matches("stroke-dasharray").count(), 3 + 1);
        // Tags balance (no stray '<' from labels).
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        // The empty document still draws a valid (empty) chart.
        let empty = chart(&json!({}), "");
        assert!(empty.contains("</svg>"));
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(group(1234567.8), "1,234,568");
        assert_eq!(group(999.0), "999");
        assert_eq!(group(-1234.0), "-1,234");
        assert_eq!(group(f64::NAN), "-");
        assert_eq!(times(118.7), "119x");
        assert_eq!(times(2.5), "2.50x");
        assert_eq!(times(0.0012), "0.001x");
    }
}
