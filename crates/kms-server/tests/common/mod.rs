//! Shared test harness: a server on a temporary data directory, driven
//! through the router without a socket, with requests signed by the
//! protocol crate's SigV4 signer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_protocol::sigv4::{self, Credentials, HttpRequest, Payload, SigningParams};
use kms_server::credentials::{AccessKey, Principal, Secret};
use kms_server::policy::{IdentityPolicies, Policy, PolicyKind};
use kms_server::state::{AppState, ServerOptions};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt as _;

/// The admin's account.
pub const ACCOUNT: &str = "111122223333";
/// The default region of the tests.
pub const REGION: &str = "us-east-1";
/// A browser origin allowed by CORS.
pub const ALLOWED_ORIGIN: &str = "https://app.example";
/// The admin key of [`TestServer::with_store`] servers.
pub const ADMIN_KEY_ID: &str = "AKIATESTADMIN0000001";
/// Its secret.
pub const ADMIN_SECRET: &str = "testAdminSecret0000000000000000000000000";
/// A second access key, in another account.
pub const OTHER_KEY_ID: &str = "AKIAOTHERACCOUNT0001";
/// Its secret.
pub const OTHER_SECRET: &str = "otherSecretKey0000000000000000000000000000";
/// Its account.
pub const OTHER_ACCOUNT: &str = "444455556666";
/// `user/app` of the admin's account: no identity policy, so it can use a
/// key only where a key policy or a grant names it.
pub const APP_KEY_ID: &str = "AKIAAPPUSER000000001";
/// `user/dev` of the admin's account: an identity policy allows `kms:*`.
pub const DEV_KEY_ID: &str = "AKIADEVUSER000000001";
/// The secret of `app` and `dev`.
pub const USER_SECRET: &str = "userSecretKey00000000000000000000000000000";

/// An identity policy allowing every KMS action on every resource.
const ALLOW_ALL_KMS: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#;

/// A server under test.
pub struct TestServer {
    /// The router.
    pub app: Router,
    /// Its state.
    pub state: Arc<AppState>,
    /// The admin credentials.
    pub admin: Credentials,
    /// The data directory (kept alive for the test).
    pub dir: Arc<TempDir>,
}

/// Seconds since the epoch, for signing.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Base64 of bytes.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Bytes of a base64 JSON string value.
pub fn unb64(v: &Value) -> Vec<u8> {
    STANDARD
        .decode(v.as_str().expect("base64 string"))
        .expect("valid base64")
}

impl TestServer {
    /// A fresh server.
    pub fn new() -> Self {
        Self::open(Arc::new(tempfile::tempdir().unwrap()))
    }

    /// A server on an existing data directory (a restart).
    pub fn open(dir: Arc<TempDir>) -> Self {
        Self::open_with(dir, None)
    }

    /// A fresh server whose request quotas apply, with these rates.
    pub fn with_quotas(rates: &[(&str, f64)]) -> Self {
        let rates = rates.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        Self::open_with(Arc::new(TempDir::new().unwrap()), Some(rates))
    }

    fn open_with(
        dir: Arc<TempDir>,
        quotas: Option<std::collections::HashMap<String, f64>>,
    ) -> Self {
        let other = AccessKey {
            access_key_id: OTHER_KEY_ID.into(),
            secret: Secret::new(OTHER_SECRET),
            principal: Principal::from_arn(&format!("arn:aws:iam::{OTHER_ACCOUNT}:user/bob"))
                .unwrap(),
        };
        let user = |id: &str, name: &str| AccessKey {
            access_key_id: id.into(),
            secret: Secret::new(USER_SECRET),
            principal: Principal::from_arn(&format!("arn:aws:iam::{ACCOUNT}:user/{name}")).unwrap(),
        };
        let mut identity_policies = IdentityPolicies::default();
        let allow_all = || Policy::parse(ALLOW_ALL_KMS, PolicyKind::Identity).unwrap();
        identity_policies.add(&other.principal.arn, allow_all());
        identity_policies.add(&format!("arn:aws:iam::{ACCOUNT}:user/dev"), allow_all());
        let options = ServerOptions {
            cors_origins: vec![ALLOWED_ORIGIN.into()],
            max_body_bytes: 64 * 1024,
            identity_policies,
            test_clock: true,
            quotas_enabled: quotas.is_some(),
            quota_rates: quotas.unwrap_or_default(),
            ..ServerOptions::default()
        };
        let keys = vec![other, user(APP_KEY_ID, "app"), user(DEV_KEY_ID, "dev")];
        let (state, data) = AppState::open(dir.path(), ACCOUNT, REGION, keys, options).unwrap();
        let state = Arc::new(state);
        let admin = Credentials::new(
            data.admin.access_key_id.clone(),
            data.admin.secret.expose().to_owned(),
            None,
        );
        TestServer {
            app: kms_server::app(Arc::clone(&state)),
            state,
            admin,
            dir,
        }
    }

    /// A server over any store (for fault injection and counting), with
    /// fixed test credentials and root key.
    pub fn with_store(store: Arc<dyn kms_server::store::Store>) -> Self {
        let mut keys = kms_server::credentials::AccessKeys::default();
        keys.insert(AccessKey {
            access_key_id: ADMIN_KEY_ID.into(),
            secret: Secret::new(ADMIN_SECRET),
            principal: Principal::account_root(ACCOUNT),
        });
        let root = kms_server::crypto::RootKey::from_bytes(&[7u8; 32]).unwrap();
        let state = Arc::new(
            AppState::new(
                store,
                root,
                keys,
                ServerOptions {
                    quotas_enabled: false,
                    ..ServerOptions::default()
                },
            )
            .unwrap(),
        );
        TestServer {
            app: kms_server::app(Arc::clone(&state)),
            state,
            admin: Credentials::new(ADMIN_KEY_ID, ADMIN_SECRET, None),
            dir: Arc::new(tempfile::tempdir().unwrap()),
        }
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Sends a raw request.
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.app.clone().oneshot(request).await.unwrap()
    }

    /// Builds a signed `POST /` request.
    pub fn signed(
        creds: &Credentials,
        region: &str,
        time: u64,
        operation: &str,
        body: &[u8],
    ) -> Request<Body> {
        let target = format!("TrentService.{operation}");
        let headers = [
            ("host", "localhost:4599"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            payload: Payload::Bytes(body),
        };
        let params = SigningParams::new(creds, region, "kms", time);
        let signed = sigv4::sign(&req, &params).unwrap();
        let mut builder = Request::builder().method("POST").uri("/");
        for (n, v) in headers {
            builder = builder.header(n, v);
        }
        for (n, v) in &signed.headers {
            builder = builder.header(*n, v.as_str());
        }
        builder.body(Body::from(body.to_vec())).unwrap()
    }

    /// Calls an operation with explicit credentials, region and raw body.
    pub async fn call_raw(
        &self,
        creds: &Credentials,
        region: &str,
        operation: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let response = self
            .send(Self::signed(creds, region, now(), operation, body))
            .await;
        read_json(response).await
    }

    /// Calls an operation as the admin in the default region.
    pub async fn call(&self, operation: &str, body: Value) -> (u16, Value) {
        self.call_raw(&self.admin, REGION, operation, body.to_string().as_bytes())
            .await
    }

    /// Calls an operation and expects success.
    pub async fn ok(&self, operation: &str, body: Value) -> Value {
        let (status, v) = self.call(operation, body).await;
        assert_eq!(status, 200, "{operation} failed: {v}");
        v
    }

    /// Calls an operation and expects an error; returns its `__type`.
    pub async fn err(&self, operation: &str, body: Value) -> String {
        let (status, v) = self.call(operation, body).await;
        assert_ne!(status, 200, "{operation} unexpectedly succeeded: {v}");
        assert!(v["message"].is_string(), "error without message: {v}");
        v["__type"].as_str().unwrap().to_owned()
    }

    /// Sets a key's policy (a JSON document) as the admin.
    pub async fn put_key_policy(&self, key: &str, policy: &Value) {
        let body = json!({"KeyId": key, "PolicyName": "default", "Policy": policy.to_string()});
        self.ok("PutKeyPolicy", body).await;
    }

    /// Creates a key and returns its id.
    pub async fn create_key(&self, body: Value) -> String {
        let v = self.ok("CreateKey", body).await;
        v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    }

    /// The credentials of the second account.
    pub fn other() -> Credentials {
        Credentials::new(OTHER_KEY_ID, OTHER_SECRET, None)
    }

    /// The credentials of `user/app` (no identity policy).
    pub fn app() -> Credentials {
        Credentials::new(APP_KEY_ID, USER_SECRET, None)
    }

    /// The credentials of `user/dev` (identity policy allows `kms:*`).
    pub fn dev() -> Credentials {
        Credentials::new(DEV_KEY_ID, USER_SECRET, None)
    }

    /// Calls an operation as `creds` in the default region.
    pub async fn call_as(&self, creds: &Credentials, operation: &str, body: Value) -> (u16, Value) {
        self.call_raw(creds, REGION, operation, body.to_string().as_bytes())
            .await
    }
}

/// Status and JSON body of a response (`Null` when the body is empty).
pub async fn read_json(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, v)
}

/// The statement of AWS's default key policy: the key's account may do
/// everything (which delegates to its identity policies).
pub fn root_statement() -> Value {
    json!({"Sid": "root", "Effect": "Allow",
           "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
           "Action": "kms:*", "Resource": "*"})
}

/// A 2012-10-17 policy document of these statements.
pub fn key_policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// `{}`.
pub fn empty() -> Value {
    json!({})
}

/// Calls `operation` with `body` `calls` times in a row, as a quota test
/// does: (succeeded, throttled); any other failure fails the test.
pub async fn burst(s: &TestServer, operation: &str, body: Value, calls: usize) -> (usize, usize) {
    let (mut ok, mut throttled) = (0, 0);
    for _ in 0..calls {
        let (status, v) = s.call(operation, body.clone()).await;
        if status == 200 {
            ok += 1;
        } else {
            assert_eq!(v["__type"], "ThrottlingException", "{v}");
            throttled += 1;
        }
    }
    (ok, throttled)
}

/// Imports `material` (PKCS#8 DER or raw bytes) into the EXTERNAL key
/// `key`, wrapped with RSAES_OAEP_SHA_256 under a fresh RSA_2048 wrapping
/// key, never expiring; the ImportKeyMaterial answer.
pub async fn import_material(s: &TestServer, key: &str, material: &[u8]) -> (u16, Value) {
    use rsa::pkcs8::DecodePublicKey as _;
    let v = s
        .ok(
            "GetParametersForImport",
            json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                   "WrappingKeySpec": "RSA_2048"}),
        )
        .await;
    let wrapping = rsa::PublicKey::from_public_key_der(&unb64(&v["PublicKey"])).unwrap();
    let wrapped = wrapping
        .encrypt(
            &mut getrandom::SysRng,
            rsa::Oaep::<sha2::Sha256>::new(),
            material,
        )
        .unwrap();
    s.call(
        "ImportKeyMaterial",
        json!({"KeyId": key, "ImportToken": v["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped),
               "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
    )
    .await
}
