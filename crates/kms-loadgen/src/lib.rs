//! `kms-loadgen`: a load generator for AWS-KMS-compatible endpoints.
//!
//! Every request is a real client request: AWS JSON 1.1, signed with SigV4
//! at send time by `kms_protocol`'s signer, over keep-alive HTTP/1.1
//! connections. The pieces:
//!
//! - [`cli`]: flags, credentials and region.
//! - [`workload`]: the operation, its key, and the request body.
//! - [`kms`]: endpoint, request signing, error codes, set-up calls.
//! - [`http`]: the minimal HTTP/1.1 client.
//! - [`load`]: the connection loops and their statistics.
//! - [`histogram`]: latency histogram.
//! - [`report`]: table and JSON output.

pub mod cli;
pub mod credentials;
pub mod histogram;
pub mod http;
pub mod kms;
pub mod load;
pub mod report;
pub mod workload;

use std::sync::Arc;

use anyhow::Result;

use crate::kms::{Client, Endpoint, RequestBuilder};
use crate::report::Report;

/// Prepares the workload, runs the load on the current tokio runtime,
/// retires the key it created, and reports.
pub async fn execute(cli: &cli::Cli) -> Result<Report> {
    let (credentials, region) = cli.identity()?;
    let options = cli.load_options()?;
    let spec = cli.workload();
    spec.validate()?;
    let endpoint = Endpoint::parse(&cli.endpoint)?;
    let builder = Arc::new(RequestBuilder::new(endpoint, credentials, region));
    let mut client = Client::new(&builder);
    let prepared = spec.prepare(&mut client).await?;
    let stats = load::run(Arc::clone(&builder), &prepared, &options).await;
    if !cli.keep_key
        && let Err(e) = prepared.cleanup(&mut client).await
    {
        eprintln!(
            "kms-loadgen: could not schedule deletion of key {}: {e:#}",
            prepared.key_id
        );
    }
    let stats = stats?;
    Ok(Report::new(
        &cli.endpoint,
        prepared.operation.as_str(),
        &prepared.label,
        &options,
        &stats,
    ))
}
