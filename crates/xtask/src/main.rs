//! Project automation for kms-envelope: `cargo xtask <command>`.
//!
//! - `test`: installs what a fresh machine lacks, then runs every suite.
//! - `bench`: runs the benchmarks side by side and prints ratios.
//! - `demo`: serves the demo page against a local kms-server.
//!
//! Everything here shells out to the same tools a developer would use, so
//! each step can be rerun by hand from what it prints.

mod bench;
mod bench_client;
mod bench_results;
mod bench_server;
mod demo;
mod install;
mod package;
mod suites;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--only NAME[,NAME...]] [--skip NAME[,NAME...]] [--list]
        install what is missing, then run every test suite
  demo [--port N] [--data-dir DIR]
        build the npm package and the demo page, start kms-server on
        ./.kms-data with the demo keys, and serve the page (Ctrl-C stops)
  package
        build the npm package (target/npm/kms-envelope) and print its sizes
  bench [size|client|cache|server|core ...] [--quick]
        run benchmarks side by side with their peers (default: size, client,
        cache, server; core is criterion) and write bench/results.json,
        bench/RESULTS.md and bench/chart.svg
  bench report
        rewrite bench/RESULTS.md and bench/chart.svg from bench/results.json
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => suites::main(&args[1..]),
        Some("package") => package::main(&args[1..]),
        Some("demo") => demo::main(&args[1..]),
        Some("bench") => bench::main(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(anyhow::anyhow!("unknown command '{other}'\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}
