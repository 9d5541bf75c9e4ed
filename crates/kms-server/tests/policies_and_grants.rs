//! Key policies, identity policies and grants through the HTTP pipeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use kms_server::handlers::lifecycle::DAY_MS;
use serde_json::{Value, json};

fn app_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/app")
}

async fn put_policy(s: &TestServer, key: &str, statements: Value) {
    s.put_key_policy(key, &key_policy(statements)).await;
}

async fn code_as(
    s: &TestServer,
    creds: &kms_protocol::sigv4::Credentials,
    op: &str,
    body: Value,
) -> String {
    let (status, v) = s.call_as(creds, op, body).await;
    if status == 200 {
        "ok".into()
    } else {
        v["__type"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn new_keys_get_the_default_policy_and_policies_are_checked_when_set() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let v = s
        .ok(
            "GetKeyPolicy",
            json!({"KeyId": key, "PolicyName": "default"}),
        )
        .await;
    let policy: Value = serde_json::from_str(v["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], "kms:*");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root")
    );
    assert_eq!(v["PolicyName"], "default");
    let v = s.ok("ListKeyPolicies", json!({"KeyId": key})).await;
    assert_eq!(v["PolicyNames"], json!(["default"]));
    assert_eq!(
        s.err("GetKeyPolicy", json!({"KeyId": key, "PolicyName": "other"}))
            .await,
        "NotFoundException"
    );

    for bad in [
        "not json".to_owned(),
        json!({"Statement": []}).to_string(),
        json!({"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}).to_string(),
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*",
               "Condition": {"NumericLessThan": {"a": 1}}}})
        .to_string(),
    ] {
        assert_eq!(
            s.err("PutKeyPolicy", json!({"KeyId": key, "Policy": bad}))
                .await,
            "MalformedPolicyDocumentException",
            "{bad}"
        );
    }
    // The lockout safety check: a policy that would stop the caller from
    // changing it again is refused unless the check is bypassed.
    let lockout = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": app_arn()},
                         "Action": "kms:*", "Resource": "*"}})
    .to_string();
    let (_, v) = s
        .call("PutKeyPolicy", json!({"KeyId": key, "Policy": lockout}))
        .await;
    assert_eq!(v["__type"], "MalformedPolicyDocumentException");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("will not allow you to update")
    );
    assert_eq!(
        s.err(
            "CreateKey",
            json!({"Policy": lockout, "Description": "locked"})
        )
        .await,
        "MalformedPolicyDocumentException"
    );
    s.ok(
        "PutKeyPolicy",
        json!({"KeyId": key, "Policy": lockout, "BypassPolicyLockoutSafetyCheck": true}),
    )
    .await;
    assert_eq!(
        s.err("DescribeKey", json!({"KeyId": key})).await,
        "AccessDeniedException",
        "the root is now locked out, as in AWS"
    );
    assert_eq!(
        code_as(&s, &TestServer::app(), "DescribeKey", json!({"KeyId": key})).await,
        "ok"
    );
}

#[tokio::test]
async fn key_policy_statements_with_conditions_decide_for_a_principal_without_identity_policies() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let app = TestServer::app();
    let ec = |v: &str| json!({"tenant": v});
    let gdk = |v: &str| json!({"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": ec(v)});
    assert_eq!(
        code_as(&s, &app, "GenerateDataKey", gdk("a")).await,
        "AccessDeniedException"
    );

    put_policy(
        &s,
        &key,
        json!([root_statement(),
            {"Effect": "Allow", "Principal": {"AWS": app_arn()},
             "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": ["a", "b"]}}}]),
    )
    .await;
    let (status, v) = s.call_as(&app, "GenerateDataKey", gdk("a")).await;
    assert_eq!(status, 200, "{v}");
    let blob = v["CiphertextBlob"].clone();
    assert_eq!(
        code_as(&s, &app, "GenerateDataKey", gdk("c")).await,
        "AccessDeniedException"
    );
    let decrypt =
        |t: &str| json!({"KeyId": key, "CiphertextBlob": blob, "EncryptionContext": ec(t)});
    assert_eq!(code_as(&s, &app, "Decrypt", decrypt("a")).await, "ok");
    assert_eq!(
        code_as(&s, &app, "Decrypt", decrypt("c")).await,
        "AccessDeniedException",
        "the condition is checked before the ciphertext"
    );
    assert_eq!(
        code_as(
            &s,
            &app,
            "Encrypt",
            json!({"KeyId": key, "Plaintext": b64(b"x"), "EncryptionContext": ec("a")})
        )
        .await,
        "AccessDeniedException"
    );
    assert_eq!(
        code_as(&s, &app, "DescribeKey", json!({"KeyId": key})).await,
        "AccessDeniedException"
    );
    assert_eq!(
        code_as(&s, &app, "ListAliases", empty()).await,
        "AccessDeniedException"
    );
    assert_eq!(
        code_as(&s, &app, "CreateKey", empty()).await,
        "AccessDeniedException"
    );
    let (_, v) = s.call_as(&app, "DescribeKey", json!({"KeyId": key})).await;
    assert!(
        v["message"].as_str().unwrap().starts_with(&format!(
            "User: {} is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}",
            app_arn()
        )),
        "{v}"
    );

    // A disabled key: an authorized caller learns it is disabled; the
    // policy is checked first.
    s.ok("DisableKey", json!({"KeyId": key})).await;
    assert_eq!(
        code_as(&s, &app, "GenerateDataKey", gdk("a")).await,
        "DisabledException"
    );
    assert_eq!(
        code_as(&s, &app, "GenerateDataKey", gdk("c")).await,
        "AccessDeniedException"
    );
}

#[tokio::test]
async fn identity_policies_apply_where_the_key_policy_delegates_and_deny_wins() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let dev = TestServer::dev();
    let enc = json!({"KeyId": key, "Plaintext": b64(b"x")});
    assert_eq!(code_as(&s, &dev, "Encrypt", enc.clone()).await, "ok");
    assert_eq!(code_as(&s, &dev, "CreateKey", empty()).await, "ok");
    put_policy(
        &s,
        &key,
        json!([root_statement(),
            {"Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/dev")},
             "Action": "kms:Encrypt", "Resource": "*"}]),
    )
    .await;
    let (_, v) = s.call_as(&dev, "Encrypt", enc.clone()).await;
    assert_eq!(v["__type"], "AccessDeniedException");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .ends_with("with an explicit deny in a resource-based policy")
    );
    assert_eq!(
        code_as(&s, &dev, "DescribeKey", json!({"KeyId": key})).await,
        "ok"
    );
    // Without the root statement, identity policies no longer count.
    put_policy(
        &s,
        &key,
        json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy"], "Resource": "*"}]),
    )
    .await;
    assert_eq!(
        code_as(&s, &dev, "DescribeKey", json!({"KeyId": key})).await,
        "AccessDeniedException"
    );
}

#[tokio::test]
async fn grants_allow_within_their_constraints_until_retired_or_revoked() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}");
    let app = TestServer::app();
    let gdk = |purpose: &str| json!({"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": {"purpose": purpose, "extra": "1"}});
    assert_eq!(
        code_as(&s, &app, "GenerateDataKey", gdk("backup")).await,
        "AccessDeniedException"
    );

    let create = json!({"KeyId": key, "GranteePrincipal": app_arn(),
        "RetiringPrincipal": format!("arn:aws:iam::{ACCOUNT}:user/dev"),
        "Operations": ["GenerateDataKey", "Decrypt"], "Name": "backup-job",
        "Constraints": {"EncryptionContextSubset": {"purpose": "backup"}}});
    let v = s.ok("CreateGrant", create.clone()).await;
    let grant_id = v["GrantId"].as_str().unwrap().to_owned();
    let token = v["GrantToken"].as_str().unwrap().to_owned();
    assert_eq!(grant_id.len(), 64);
    let again = s.ok("CreateGrant", create.clone()).await;
    assert_eq!(
        again["GrantId"],
        grant_id.as_str(),
        "a named grant is idempotent"
    );

    let with_token = |mut body: Value| {
        body["GrantTokens"] = json!([token]);
        body
    };
    let (status, v) = s
        .call_as(&app, "GenerateDataKey", with_token(gdk("backup")))
        .await;
    assert_eq!(status, 200, "{v}");
    let blob = v["CiphertextBlob"].clone();
    assert_eq!(
        code_as(&s, &app, "GenerateDataKey", gdk("other")).await,
        "AccessDeniedException"
    );
    assert_eq!(
        code_as(
            &s,
            &app,
            "Encrypt",
            json!({"KeyId": key, "Plaintext": b64(b"x"),
            "EncryptionContext": {"purpose": "backup"}})
        )
        .await,
        "AccessDeniedException",
        "only the granted operations"
    );
    let decrypt = json!({"KeyId": arn, "CiphertextBlob": blob,
        "EncryptionContext": {"purpose": "backup", "extra": "1"}});
    assert_eq!(code_as(&s, &app, "Decrypt", decrypt.clone()).await, "ok");
    assert_eq!(
        code_as(
            &s,
            &app,
            "Decrypt",
            json!({"KeyId": arn, "CiphertextBlob": b64(b"x"), "GrantTokens": ["bm90IG91cnM="]})
        )
        .await,
        "InvalidGrantTokenException"
    );

    let v = s.ok("ListGrants", json!({"KeyId": key})).await;
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    let g = &v["Grants"][0];
    assert_eq!(g["KeyId"], arn.as_str());
    assert_eq!(g["GranteePrincipal"], app_arn().as_str());
    assert_eq!(g["Operations"], json!(["Decrypt", "GenerateDataKey"]));
    assert_eq!(
        g["Constraints"]["EncryptionContextSubset"]["purpose"],
        "backup"
    );
    assert_eq!(g["IssuingAccount"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(g["Name"], "backup-job");
    let v = s
        .ok(
            "ListRetirableGrants",
            json!({"RetiringPrincipal": format!("arn:aws:iam::{ACCOUNT}:user/dev")}),
        )
        .await;
    assert_eq!(v["Grants"][0]["GrantId"], grant_id.as_str());

    // Grants survive a restart.
    let dir = Arc::clone(&s.dir);
    drop(s);
    let s = TestServer::open(dir);
    assert_eq!(code_as(&s, &app, "Decrypt", decrypt.clone()).await, "ok");

    // The grantee may not retire it (RetireGrant is not among its
    // operations); the retiring principal may, by token.
    assert_eq!(
        code_as(&s, &app, "RetireGrant", json!({"GrantToken": token})).await,
        "AccessDeniedException"
    );
    assert_eq!(
        code_as(
            &s,
            &TestServer::dev(),
            "RetireGrant",
            json!({"GrantToken": token})
        )
        .await,
        "ok"
    );
    assert_eq!(
        code_as(&s, &app, "Decrypt", decrypt.clone()).await,
        "AccessDeniedException"
    );

    // Revoked by the key's administrator.
    let v = s
        .ok(
            "CreateGrant",
            json!({"KeyId": key, "GranteePrincipal": app_arn(), "Operations": ["Decrypt"]}),
        )
        .await;
    let second = v["GrantId"].as_str().unwrap().to_owned();
    assert_eq!(code_as(&s, &app, "Decrypt", decrypt.clone()).await, "ok");
    s.ok("RevokeGrant", json!({"KeyId": key, "GrantId": second}))
        .await;
    assert_eq!(
        code_as(&s, &app, "Decrypt", decrypt).await,
        "AccessDeniedException"
    );
    assert_eq!(
        s.err("RevokeGrant", json!({"KeyId": key, "GrantId": second}))
            .await,
        "NotFoundException"
    );
}

#[tokio::test]
async fn grant_requests_are_validated() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let signing = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    for (body, code) in [
        (
            json!({"KeyId": key, "GranteePrincipal": "bob", "Operations": ["Decrypt"]}),
            "ValidationException",
        ),
        (
            json!({"KeyId": key, "GranteePrincipal": app_arn(), "Operations": []}),
            "ValidationException",
        ),
        (
            json!({"KeyId": key, "GranteePrincipal": app_arn(), "Operations": ["Sign"]}),
            "ValidationException",
        ),
        (
            json!({"KeyId": signing, "GranteePrincipal": app_arn(), "Operations": ["Sign"],
                "Constraints": {"EncryptionContextEquals": {"a": "b"}}}),
            "ValidationException",
        ),
        (
            json!({"KeyId": key, "GranteePrincipal": app_arn(), "Operations": ["Fly"]}),
            "ValidationException",
        ),
        (
            json!({"KeyId": "alias/nope", "GranteePrincipal": app_arn(), "Operations": ["Decrypt"]}),
            "NotFoundException",
        ),
    ] {
        assert_eq!(s.err("CreateGrant", body.clone()).await, code, "{body}");
    }
    s.ok(
        "CreateGrant",
        json!({"KeyId": signing, "GranteePrincipal": app_arn(), "Operations": ["Sign", "GetPublicKey"]}),
    )
    .await;
    let app = TestServer::app();
    assert_eq!(
        code_as(
            &s,
            &app,
            "Sign",
            json!({"KeyId": signing, "Message": b64(b"m"),
            "SigningAlgorithm": "ECDSA_SHA_256"})
        )
        .await,
        "ok"
    );
    assert_eq!(
        code_as(
            &s,
            &app,
            "Verify",
            json!({"KeyId": signing, "Message": b64(b"m"),
            "Signature": b64(b"sig"), "SigningAlgorithm": "ECDSA_SHA_256"})
        )
        .await,
        "AccessDeniedException"
    );
}

#[tokio::test]
async fn derive_shared_secret_is_allowed_by_a_grant_or_a_condition_on_its_algorithm() {
    let s = TestServer::new();
    let key = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}))
        .await;
    let public = s.ok("GetPublicKey", json!({"KeyId": key})).await["PublicKey"].clone();
    let derive = json!({"KeyId": key, "KeyAgreementAlgorithm": "ECDH", "PublicKey": public});
    let app = TestServer::app();
    assert_eq!(
        code_as(&s, &app, "DeriveSharedSecret", derive.clone()).await,
        "AccessDeniedException"
    );
    // Grants on a key agreement key may allow only what such a key does.
    assert_eq!(
        s.err(
            "CreateGrant",
            json!({"KeyId": key, "GranteePrincipal": app_arn(), "Operations": ["Decrypt"]}),
        )
        .await,
        "ValidationException"
    );
    let grant = s
        .ok(
            "CreateGrant",
            json!({"KeyId": key, "GranteePrincipal": app_arn(),
                   "Operations": ["DeriveSharedSecret"]}),
        )
        .await;
    assert_eq!(
        code_as(&s, &app, "DeriveSharedSecret", derive.clone()).await,
        "ok"
    );
    s.ok(
        "RevokeGrant",
        json!({"KeyId": key, "GrantId": grant["GrantId"]}),
    )
    .await;
    assert_eq!(
        code_as(&s, &app, "DeriveSharedSecret", derive.clone()).await,
        "AccessDeniedException"
    );
    // A key policy statement conditioned on kms:KeyAgreementAlgorithm.
    put_policy(
        &s,
        &key,
        json!([root_statement(),
               {"Effect": "Allow", "Principal": {"AWS": app_arn()},
                "Action": "kms:DeriveSharedSecret", "Resource": "*",
                "Condition": {"StringEquals": {"kms:KeyAgreementAlgorithm": "ECDH"}}}]),
    )
    .await;
    assert_eq!(code_as(&s, &app, "DeriveSharedSecret", derive).await, "ok");
}

#[tokio::test]
async fn numeric_and_date_conditions_see_request_values_and_the_clock() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let now = s.state.clock.now_ms();
    let until = kms_server::audit::event_time(now + 2 * DAY_MS);
    let policy = key_policy(json!([
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": app_arn()},
         "Action": ["kms:Encrypt"], "Resource": "*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": until},
                       "NumericGreaterThanEquals": {"aws:EpochTime": now / 1000 - 60}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion",
         "Resource": "*",
         "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 14}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:EnableKeyRotation",
         "Resource": "*",
         "Condition": {"NumericGreaterThan": {"kms:RotationPeriodInDays": "180"}}}]));
    s.put_key_policy(&key, &policy).await;

    let encrypt = json!({"KeyId": key, "Plaintext": b64(b"x")});
    let (status, v) = s
        .call_as(&TestServer::app(), "Encrypt", encrypt.clone())
        .await;
    assert_eq!(status, 200, "{v}");
    s.state.clock.advance(3 * DAY_MS).unwrap();
    let (_, v) = s.call_as(&TestServer::app(), "Encrypt", encrypt).await;
    assert_eq!(
        v["__type"], "AccessDeniedException",
        "the window closed: {v}"
    );

    // The default rotation period is 365 days, over the limit.
    for (body, expect) in [
        (json!({"KeyId": key}), "AccessDeniedException"),
        (
            json!({"KeyId": key, "RotationPeriodInDays": 365}),
            "AccessDeniedException",
        ),
    ] {
        assert_eq!(s.err("EnableKeyRotation", body).await, expect);
    }
    s.ok(
        "EnableKeyRotation",
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await;
    assert_eq!(
        s.err(
            "ScheduleKeyDeletion",
            json!({"KeyId": key, "PendingWindowInDays": 7})
        )
        .await,
        "AccessDeniedException"
    );
    s.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": key, "PendingWindowInDays": 20}),
    )
    .await;
}

#[tokio::test]
async fn policy_variables_name_the_caller() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let policy = key_policy(json!([
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": app_arn()},
         "Action": ["kms:Encrypt"],
         "Resource": "arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}"}}}]));
    s.put_key_policy(&key, &policy).await;
    let encrypt = |owner: &str| json!({"KeyId": key, "Plaintext": b64(b"x"), "EncryptionContext": {"owner": owner}});
    let (status, v) = s
        .call_as(&TestServer::app(), "Encrypt", encrypt("app"))
        .await;
    assert_eq!(status, 200, "{v}");
    for owner in ["dev", "${aws:username}"] {
        let (_, v) = s
            .call_as(&TestServer::app(), "Encrypt", encrypt(owner))
            .await;
        assert_eq!(v["__type"], "AccessDeniedException", "{owner}: {v}");
    }
    // An unterminated variable is a malformed policy.
    let bad = policy
        .to_string()
        .replace("${aws:username}", "${aws:username");
    assert_eq!(
        s.err(
            "PutKeyPolicy",
            json!({"KeyId": key, "PolicyName": "default", "Policy": bad})
        )
        .await,
        "MalformedPolicyDocumentException"
    );
}

#[tokio::test]
async fn ip_address_conditions_see_the_client_address() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let policy = key_policy(json!([
        root_statement(),
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}}]));
    s.put_key_policy(&key, &policy).await;
    let body = json!({"KeyId": key, "Plaintext": b64(b"x")}).to_string();
    let from = |addr: &str| {
        let mut req = TestServer::signed(&s.admin, REGION, now(), "Encrypt", body.as_bytes());
        let peer: std::net::SocketAddr = addr.parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        req
    };
    for (addr, expect) in [
        ("192.0.2.10:50000", 200),
        ("[2001:db8::5]:50000", 200),
        ("[::ffff:192.0.2.11]:50000", 200),
        ("198.51.100.1:50000", 400),
        ("[::1]:50000", 400),
    ] {
        let (status, v) = read_json(s.send(from(addr)).await).await;
        assert_eq!(status, expect, "{addr}: {v}");
        if expect != 200 {
            assert_eq!(v["__type"], "AccessDeniedException", "{addr}");
        }
    }
    // Without a known address (this in-process call), NotIpAddress holds.
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}))
            .await,
        "AccessDeniedException"
    );
}
