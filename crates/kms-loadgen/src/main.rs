//! `kms-loadgen`: see `kms-loadgen --help`.

use std::process::ExitCode;

use clap::Parser as _;
use kms_loadgen::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        // The load ran but nothing succeeded: the report says why.
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("kms-loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<bool> {
    let runtime = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.threads)
            .enable_all()
            .build()?
    };
    let report = runtime.block_on(kms_loadgen::execute(cli))?;
    if cli.json {
        eprint!("{}", report.table());
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(report.ok > 0)
}
