//! A kms-server on 127.0.0.1 in this process, and clients for it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::rc::Rc;
use std::sync::Arc;

use kms_client::{ClientConfig, KmsHttpClient};
use kms_envelope::kms::KmsClient;
use kms_protocol::sigv4::Credentials;
use kms_server::state::{AppState, ServerOptions};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";

/// A running server; stops when dropped.
pub struct Server {
    pub endpoint: String,
    pub credentials: Credentials,
    pub dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (state, data) = AppState::open(
            dir.path(),
            ACCOUNT,
            REGION,
            Vec::new(),
            ServerOptions {
                quotas_enabled: false,
                ..ServerOptions::default()
            },
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = kms_server::app(Arc::new(state));
        runtime.spawn(async move { axum::serve(listener, app).await });
        Server {
            endpoint: format!("http://{addr}"),
            credentials: Credentials::new(
                data.admin.access_key_id.clone(),
                data.admin.secret.expose().to_owned(),
                None,
            ),
            dir,
            runtime,
        }
    }

    pub fn config(&self, region: &str) -> ClientConfig {
        ClientConfig::new(self.endpoint.clone(), region, self.credentials.clone())
    }

    pub fn client(&self, region: &str) -> Rc<KmsHttpClient> {
        Rc::new(KmsHttpClient::new(self.config(region)).unwrap())
    }

    /// Creates a key (`spec` e.g. `SYMMETRIC_DEFAULT`, `RSA_2048`); its ARN.
    pub fn create_key(&self, region: &str, spec: &str) -> String {
        let usage = "ENCRYPT_DECRYPT";
        let v = call_json(
            &self.client(region),
            "CreateKey",
            &json!({"KeySpec": spec, "KeyUsage": usage}),
        );
        v["KeyMetadata"]["Arn"].as_str().unwrap().to_owned()
    }

    pub fn call(&self, operation: &str, body: Value) -> Value {
        call_json(&self.client(REGION), operation, &body)
    }
}

/// Calls `operation` with a JSON body; the JSON response.
pub fn call_json(client: &KmsHttpClient, operation: &str, body: &Value) -> Value {
    let response = client
        .call(operation, &serde_json::to_vec(body).unwrap())
        .unwrap();
    serde_json::from_slice(&response).unwrap()
}

pub fn dyn_client(c: &Rc<KmsHttpClient>) -> Rc<dyn KmsClient> {
    c.clone()
}
