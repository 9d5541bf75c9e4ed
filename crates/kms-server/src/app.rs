//! The HTTP surface: `POST /` (every KMS operation), `GET /healthz`, CORS,
//! request ids and per-request logging.
//!
//! A request goes: body (size-limited) → SigV4 → `X-Amz-Target` → typed
//! request (Serialization/Validation errors) → [`crate::dispatch`] → JSON.
//! Every error becomes `{"__type", "message"}` in [`error_response`].

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kms_protocol::ops::{self, Operation, ParseError};

use crate::audit::AuditEntry;
use crate::auth::authenticate;
use crate::authz::Access;
use crate::dispatch::dispatch;
use crate::error::KmsError;
use crate::handlers::Ctx;
use crate::state::AppState;
use crate::store::Scope;

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Request headers a browser may send (SigV4 and the AWS SDKs' own).
const CORS_ALLOW_HEADERS: &str = "authorization, content-type, x-amz-date, x-amz-target, \
     x-amz-security-token, x-amz-content-sha256, x-amz-user-agent, amz-sdk-invocation-id, \
     amz-sdk-request";

/// The id of the current request, set by the outer middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The client's address, when the server was started with connect info.
#[derive(Debug, Clone)]
pub struct Peer(pub Option<String>);

/// Builds the router. Tests drive it with `tower::ServiceExt::oneshot`.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", post(kms_endpoint))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/_kms-server/test-clock", post(test_clock))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            request_id_and_cors,
        ))
        .with_state(state)
}

/// `POST /_kms-server/test-clock` with `{"advance_seconds": N}`: moves the
/// lifecycle clock forward and runs what became due (rotations, deletions).
/// Only a server started with `--test-clock` answers; others say 404.
async fn test_clock(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        advance_seconds: i64,
    }
    if !state.clock.is_adjustable() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bad = |m: &str| (StatusCode::BAD_REQUEST, m.to_owned()).into_response();
    let Ok(advance) = serde_json::from_slice::<Advance>(&body) else {
        return bad("expected {\"advance_seconds\": N}");
    };
    let Some(offset_ms) = advance
        .advance_seconds
        .checked_mul(1000)
        .and_then(|ms| state.clock.advance(ms))
    else {
        return bad("advance_seconds must be between 0 and 100 years");
    };
    match crate::handlers::lifecycle::sweep(&state).await {
        Ok(report) => {
            let body = serde_json::json!({
                "now_ms": state.clock.now_ms(),
                "offset_ms": offset_ms,
                "deleted": report.deleted,
                "rotated": report.rotated,
                "expired": report.expired,
            });
            (
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        Err(e) => error_response(&e),
    }
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state.quotas.throttled()),
    )
}

async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
}

fn allowed_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    state
        .options
        .cors_origins
        .iter()
        .any(|o| o == "*" || o == text)
        .then(|| origin.clone())
}

/// Outermost layer: gives every request an id (echoed in `x-amzn-RequestId`
/// on every response), answers CORS preflights and adds CORS headers for
/// allowed origins.
async fn request_id_and_cors(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let origin = allowed_origin(&state, req.headers());
    let is_preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut response = if is_preflight {
        match &origin {
            Some(_) => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                let h = r.headers_mut();
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("POST, GET, OPTIONS"),
                );
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(CORS_ALLOW_HEADERS),
                );
                h.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("600"),
                );
                r
            }
            None => StatusCode::FORBIDDEN.into_response(),
        }
    } else {
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        req.extensions_mut().insert(RequestId(request_id.clone()));
        req.extensions_mut().insert(Peer(peer));
        next.run(req).await
    };

    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(HeaderName::from_static("x-amzn-requestid"), v);
    }
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(REQUEST_ID_HEADER),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// The access key id of an Authorization header, for the audit record of a
/// request whose signature did not verify.
fn access_key_of(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    let id = cred.split('/').next()?;
    (!id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| id.to_owned())
}

/// The one place a domain error becomes a wire error.
pub fn error_response(err: &KmsError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&err.to_body()).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(header::CONTENT_TYPE, ops::CONTENT_TYPE)],
        Body::from(body),
    )
        .into_response()
}

fn from_parse_error(e: ParseError) -> KmsError {
    match e {
        ParseError::UnknownOperation(_) => {
            KmsError::UnknownOperation("The requested operation is not recognized.".into())
        }
        ParseError::Unsupported(op) => {
            KmsError::Unsupported(format!("{op} is not implemented by kms-server yet."))
        }
        ParseError::Serialization(m) => KmsError::Serialization(m),
        ParseError::Validation(m) => KmsError::Validation(m),
    }
}

/// `POST /`: one KMS operation.
async fn kms_endpoint(
    State(state): State<Arc<AppState>>,
    axum::Extension(RequestId(request_id)): axum::Extension<RequestId>,
    axum::Extension(Peer(peer)): axum::Extension<Peer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut entry = AuditEntry {
        time_ms: state.clock.now_ms(),
        request_id: request_id.clone(),
        source_ip: peer,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..AuditEntry::default()
    };
    let mut resources = None;
    let result = handle(
        &state,
        &method,
        &uri,
        &headers,
        body,
        &mut entry,
        &mut resources,
    )
    .await;
    let elapsed = started.elapsed();
    let elapsed_us = elapsed.as_micros();
    let outcome = match &result {
        Ok(_) => "success",
        Err(e) => e.code(),
    };
    state.metrics.record(
        entry.operation.as_deref().unwrap_or("unknown"),
        outcome,
        elapsed,
    );
    if let Some(audit) = &state.audit {
        if let Some(r) = resources {
            entry.resources = r.list();
        }
        match &result {
            Ok((_, bytes)) => {
                if entry
                    .operation
                    .as_deref()
                    .is_some_and(crate::audit::response_is_logged)
                {
                    entry.response = Some(bytes.clone());
                }
            }
            Err(e) => entry.error = Some((e.code(), e.client_message())),
        }
        audit.append(entry);
    }
    match result {
        Ok((principal, bytes)) => {
            tracing::debug!(%request_id, operation = %target, %principal, elapsed_us, "ok");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, ops::CONTENT_TYPE)],
                Body::from(bytes),
            )
                .into_response()
        }
        Err(err) => {
            if let KmsError::Internal(detail) = &err {
                tracing::error!(%request_id, operation = %target, %detail, "internal error");
            } else {
                tracing::info!(%request_id, operation = %target, error = err.code(), elapsed_us, "rejected");
            }
            error_response(&err)
        }
    }
}

async fn handle(
    state: &Arc<AppState>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    draft: &mut AuditEntry,
    resources_out: &mut Option<crate::handlers::Resources>,
) -> Result<(String, Vec<u8>), KmsError> {
    draft.operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(ops::TARGET_PREFIX))
        .map(str::to_owned);
    let limit = state.options.max_body_bytes;
    let body: Bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        KmsError::Validation(format!("The request body is larger than {limit} bytes."))
    })?;
    let who = authenticate(
        &state.access_keys,
        method.as_str(),
        uri.path(),
        uri.query().unwrap_or(""),
        headers,
        &body,
    )
    .inspect_err(|_| {
        draft.access_key_id = access_key_of(headers);
    })?;
    draft.access_key_id = Some(who.access_key_id.clone());
    draft.principal_arn = Some(who.principal.arn.clone());
    draft.account = Some(who.principal.account.clone());
    draft.region = Some(who.region.clone());
    draft.request = Some(body.clone());
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| KmsError::UnknownOperation("Missing X-Amz-Target header.".into()))?;
    let operation = Operation::from_target(target).map_err(from_parse_error)?;
    let request = ops::Request::parse(operation, &body).map_err(from_parse_error)?;
    let identity = state.options.identity_policies.of(&who.principal.arn);
    let resources = crate::handlers::Resources::default();
    *resources_out = Some(resources.clone());
    let ctx = Ctx {
        resources,
        request_id: draft.request_id.clone(),
        scope: Scope::new(who.principal.account.clone(), who.region),
        principal: who.principal,
        access: Access::of(&request, identity)?,
        now_ms: state.clock.now_ms(),
        source_ip: draft.source_ip.clone(),
    };
    let bytes = dispatch(state, &ctx, request).await?;
    if let Some(used) = crate::usage::tracked(operation) {
        ctx.resources.with(|keys| {
            state.usage.record(used, keys, ctx.now_ms, &ctx.request_id);
        });
    }
    Ok((ctx.principal.arn, bytes))
}
