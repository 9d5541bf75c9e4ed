use std::collections::BTreeMap;

use kms_protocol::ops::{KeySpec, KeyState, KeyUsageType, OriginType};

use super::*;
use crate::policy::{IdentityPolicies, PolicyKind};
use crate::store::{KeyRecord, Scope};

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";

fn key(policy: Option<&str>) -> KeyEntry {
    KeyEntry::new(KeyRecord {
        scope: Scope::new(ACCOUNT, "us-east-1"),
        key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsageType::EncryptDecrypt,
        origin: OriginType::AwsKms,
        state: KeyState::Enabled,
        description: String::new(),
        created_ms: 0,
        deletion_ms: None,
        pending_window_days: None,
        multi_region: false,
        policy: policy.map(str::to_owned),
        current_version: 1,
        created_by: String::new(),
        extra: Default::default(),
    })
}

fn ctx(principal: &str, identity: &[&str], context: Option<&[(&str, &str)]>) -> Ctx {
    let principal = Principal::from_arn(principal).unwrap();
    let mut policies = IdentityPolicies::default();
    for doc in identity {
        policies.add(
            &principal.arn,
            Policy::parse(doc, PolicyKind::Identity).unwrap(),
        );
    }
    Ctx {
        request_id: "r".into(),
        scope: Scope::new(principal.account.clone(), "us-east-1"),
        access: Access {
            action: "kms:Decrypt",
            identity: policies.of(&principal.arn),
            context: context.map(|pairs| {
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect()
            }),
            conditions: ConditionContext::default(),
        },
        principal,
        now_ms: 0,
        source_ip: None,
        resources: Default::default(),
    }
}

fn code(r: Result<Via, KmsError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

const ALLOW_ALL_KMS: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#;

#[test]
fn the_default_policy_lets_the_root_and_principals_with_identity_policies() {
    let k = key(None);
    let root = ctx(&format!("arn:aws:iam::{ACCOUNT}:root"), &[], None);
    assert_eq!(code(authorize_key(&root, &k, "kms:Decrypt")), "ok");
    let alice = ctx(&format!("arn:aws:iam::{ACCOUNT}:user/alice"), &[], None);
    let Err(KmsError::AccessDenied(m)) = authorize_key(&alice, &k, "kms:Decrypt") else {
        panic!("no identity policy: denied")
    };
    assert!(
        m.starts_with(&format!(
            "User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:{ACCOUNT}:key/"
        )) && m.ends_with("because no identity-based policy allows the kms:Decrypt action"),
        "{m}"
    );
    let alice = ctx(
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        &[ALLOW_ALL_KMS],
        None,
    );
    assert_eq!(code(authorize_key(&alice, &k, "kms:Decrypt")), "ok");
}

#[test]
fn explicit_deny_wins_over_every_allow() {
    let k = key(Some(&format!(
        r#"{{"Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
            {{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*",
              "Condition":{{"StringNotEquals":{{"kms:EncryptionContext:app":"billing"}}}}}}]}}"#
    )));
    let root = ctx(
        &format!("arn:aws:iam::{ACCOUNT}:root"),
        &[],
        Some(&[("app", "web")]),
    );
    let Err(KmsError::AccessDenied(m)) = authorize_key(&root, &k, "kms:Decrypt") else {
        panic!("denied by the key policy")
    };
    assert!(
        m.ends_with("with an explicit deny in a resource-based policy"),
        "{m}"
    );
    let root = ctx(
        &format!("arn:aws:iam::{ACCOUNT}:root"),
        &[],
        Some(&[("app", "billing")]),
    );
    assert_eq!(code(authorize_key(&root, &k, "kms:Decrypt")), "ok");

    let deny_sign = r#"{"Statement":{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}"#;
    let alice = ctx(
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        &[ALLOW_ALL_KMS, deny_sign],
        None,
    );
    let Err(KmsError::AccessDenied(m)) = authorize_key(&alice, &key(None), "kms:Decrypt") else {
        panic!("denied by the identity policy")
    };
    assert!(
        m.ends_with("with an explicit deny in an identity-based policy"),
        "{m}"
    );
}

#[test]
fn a_key_policy_naming_the_principal_needs_no_identity_policy() {
    let k = key(Some(&format!(
        r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/app"}},
             "Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}}}}"#
    )));
    let app = ctx(&format!("arn:aws:iam::{ACCOUNT}:user/app"), &[], None);
    assert_eq!(code(authorize_key(&app, &k, "kms:Decrypt")), "ok");
    assert_eq!(
        code(authorize_key(&app, &k, "kms:Encrypt")),
        "AccessDeniedException"
    );
    let root = ctx(&format!("arn:aws:iam::{ACCOUNT}:root"), &[], None);
    assert_eq!(
        code(authorize_key(&root, &k, "kms:Decrypt")),
        "AccessDeniedException",
        "a key policy without the root statement locks even the root out"
    );
}

#[test]
fn cross_account_use_needs_both_policies() {
    let shared = key(Some(&format!(
        r#"{{"Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
            {{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}}]}}"#
    )));
    let bob_without = ctx(&format!("arn:aws:iam::{OTHER}:user/bob"), &[], None);
    assert_eq!(
        code(authorize_key(&bob_without, &shared, "kms:Decrypt")),
        "AccessDeniedException"
    );
    let bob = ctx(
        &format!("arn:aws:iam::{OTHER}:user/bob"),
        &[ALLOW_ALL_KMS],
        None,
    );
    assert_eq!(code(authorize_key(&bob, &shared, "kms:Decrypt")), "ok");
    assert_eq!(
        code(authorize_key(&bob, &shared, "kms:Encrypt")),
        "AccessDeniedException"
    );
    assert_eq!(
        code(authorize_key(&bob, &shared, "kms:DisableKey")),
        "NotFoundException",
        "administrative actions never work across accounts"
    );
    let other_root = ctx(&format!("arn:aws:iam::{OTHER}:root"), &[], None);
    assert_eq!(
        code(authorize_key(&other_root, &shared, "kms:Decrypt")),
        "ok"
    );
    assert_eq!(
        code(authorize_key(&bob, &key(None), "kms:Decrypt")),
        "AccessDeniedException",
        "the default policy trusts only its own account"
    );
}

fn grant(
    grantee: &str,
    ops: &[GrantOperation],
    subset: &[(&str, &str)],
    equals: bool,
) -> GrantRecord {
    let map: BTreeMap<String, String> = subset
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    GrantRecord {
        scope: Scope::new(ACCOUNT, "us-east-1"),
        key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        grant_id: "g1".into(),
        token: String::new(),
        name: None,
        grantee: grantee.into(),
        retiring: None,
        operations: ops.to_vec(),
        context_subset: (!equals && !subset.is_empty()).then(|| map.clone()),
        context_equals: equals.then_some(map),
        issuing_account: format!("arn:aws:iam::{ACCOUNT}:root"),
        created_ms: 0,
    }
}

#[test]
fn grants_allow_their_operations_within_their_constraints() {
    let carol = format!("arn:aws:iam::{OTHER}:role/carol");
    let mut k = key(None);
    k.grants.insert(
        "g1".into(),
        Arc::new(grant(
            &carol,
            &[GrantOperation::Decrypt],
            &[("Purpose", "backup")],
            false,
        )),
    );
    let with = |pairs: &[(&str, &str)]| ctx(&carol, &[], Some(pairs));
    assert!(matches!(
        authorize_key(
            &with(&[("purpose", "backup"), ("x", "y")]),
            &k,
            "kms:Decrypt"
        ),
        Ok(Via::Grant(_))
    ));
    assert_eq!(
        code(authorize_key(
            &with(&[("purpose", "Backup")]),
            &k,
            "kms:Decrypt"
        )),
        "AccessDeniedException",
        "values are case-sensitive"
    );
    assert_eq!(
        code(authorize_key(
            &with(&[("purpose", "backup")]),
            &k,
            "kms:Encrypt"
        )),
        "AccessDeniedException"
    );
    let mut k2 = key(None);
    k2.grants.insert(
        "g1".into(),
        Arc::new(grant(
            &carol,
            &[GrantOperation::Decrypt],
            &[("purpose", "backup")],
            true,
        )),
    );
    assert!(authorize_key(&with(&[("purpose", "backup")]), &k2, "kms:Decrypt").is_ok());
    assert_eq!(
        code(authorize_key(
            &with(&[("purpose", "backup"), ("x", "y")]),
            &k2,
            "kms:Decrypt"
        )),
        "AccessDeniedException",
        "EncryptionContextEquals needs the exact context"
    );
    // An explicit deny beats a grant.
    let mut denied_key = key(Some(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
           {{"Effect":"Deny","Principal":{{"AWS":"{carol}"}},"Action":"kms:*","Resource":"*"}}]}}"#
    )));
    denied_key.grants = k.grants.clone();
    assert_eq!(
        code(authorize_key(
            &with(&[("purpose", "backup")]),
            &denied_key,
            "kms:Decrypt"
        )),
        "AccessDeniedException"
    );
}

#[test]
fn the_lockout_check_and_keyless_actions() {
    let alice = ctx(&format!("arn:aws:iam::{ACCOUNT}:user/alice"), &[], None);
    let arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/k");
    let only_decrypt = Policy::parse(
        &format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}},"Action":"kms:Decrypt","Resource":"*"}}}}"#
        ),
        PolicyKind::Key,
    )
    .unwrap();
    assert!(!keeps_caller_in_control(
        &alice,
        &only_decrypt,
        ACCOUNT,
        &arn
    ));
    let admin = Policy::parse(
        &format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}},"Action":"kms:*","Resource":"*"}}}}"#
        ),
        PolicyKind::Key,
    )
    .unwrap();
    assert!(keeps_caller_in_control(&alice, &admin, ACCOUNT, &arn));

    assert_eq!(
        authorize_account(&alice, "kms:ListAliases", "*")
            .unwrap_err()
            .code(),
        "AccessDeniedException"
    );
    let lister = ctx(
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        &[r#"{"Statement":{"Effect":"Allow","Action":"kms:List*","Resource":"*"}}"#],
        None,
    );
    assert!(authorize_account(&lister, "kms:ListAliases", "*").is_ok());
    assert!(authorize_account(&lister, "kms:CreateKey", "*").is_err());
    let root = ctx(&format!("arn:aws:iam::{ACCOUNT}:root"), &[], None);
    assert!(authorize_account(&root, "kms:CreateKey", "*").is_ok());
}

#[test]
fn grant_tokens_round_trip_and_foreign_ones_are_refused() {
    let g = grant(
        "arn:aws:iam::111122223333:user/a",
        &[GrantOperation::Decrypt],
        &[],
        false,
    );
    let token = grant_token(&g, &[7; 16]);
    let [account, region, key_id, grant_id] = parse_grant_token(&token).unwrap();
    assert_eq!(
        (
            account.as_str(),
            region.as_str(),
            key_id.as_str(),
            grant_id.as_str()
        ),
        (ACCOUNT, "us-east-1", g.key_id.as_str(), "g1")
    );
    for bad in ["", "AAAA", "not base64!", &token[..token.len() - 4]] {
        assert_eq!(
            parse_grant_token(bad).unwrap_err().code(),
            "InvalidGrantTokenException",
            "{bad}"
        );
    }
}

#[test]
fn the_user_name_of_an_iam_user_only() {
    use super::user_name;
    assert_eq!(user_name("arn:aws:iam::111122223333:user/app"), Some("app"));
    assert_eq!(
        user_name("arn:aws:iam::111122223333:user/team/eu/app"),
        Some("app")
    );
    assert_eq!(user_name("arn:aws:iam::111122223333:root"), None);
    assert_eq!(user_name("arn:aws:iam::111122223333:role/app"), None);
    assert_eq!(
        user_name("arn:aws:sts::111122223333:assumed-role/r/session"),
        None
    );
    assert_eq!(user_name("arn:aws:iam::111122223333:user/"), None);
}
