use super::*;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn alice() -> Principal {
    Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap()
}

fn root() -> Principal {
    Principal::account_root("111122223333")
}

fn other() -> Principal {
    Principal::from_arn("arn:aws:iam::444455556666:role/app").unwrap()
}

fn key_policy(statements: &str) -> Policy {
    Policy::parse(
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
        PolicyKind::Key,
    )
    .unwrap()
}

fn ask(policy: &Policy, who: &Principal, action: &str, ctx: &ConditionContext) -> Verdict {
    policy.evaluate(&AccessRequest {
        principal: who,
        action,
        resource: KEY,
        context: ctx,
    })
}

fn ec(pairs: &[(&str, &str)]) -> ConditionContext {
    let mut ctx = ConditionContext::default();
    for (k, v) in pairs {
        ctx.set_one(&format!("kms:EncryptionContext:{k}"), *v);
    }
    ctx.set(
        "kms:EncryptionContextKeys",
        pairs.iter().map(|(k, _)| (*k).to_owned()).collect(),
    );
    ctx
}

#[test]
fn the_default_policy_delegates_to_the_account() {
    let p = Policy::parse(&default_key_policy("aws", "111122223333"), PolicyKind::Key).unwrap();
    let none = ConditionContext::default();
    let v = ask(&p, &alice(), "kms:Decrypt", &none);
    assert!(v.allow_account && !v.allow_principal && !v.deny);
    let v = ask(&p, &other(), "kms:Decrypt", &none);
    assert_eq!(v, Verdict::default());
}

#[test]
fn principals_match_by_arn_account_id_root_or_star() {
    let none = ConditionContext::default();
    for principal in [
        r#""*""#,
        r#"{"AWS":"*"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        r#"{"AWS":["arn:aws:iam::999999999999:root","arn:aws:iam::111122223333:user/alice"]}"#,
    ] {
        let p = key_policy(&format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"kms:Encrypt","Resource":"*"}}"#
        ));
        assert!(
            ask(&p, &alice(), "kms:Encrypt", &none).allow_principal,
            "{principal}"
        );
    }
    for principal in [
        r#"{"AWS":"111122223333"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
    ] {
        let p = key_policy(&format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"kms:Encrypt","Resource":"*"}}"#
        ));
        let v = ask(&p, &alice(), "kms:Encrypt", &none);
        assert!(v.allow_account && !v.allow_principal, "{principal}");
        assert_eq!(ask(&p, &other(), "kms:Encrypt", &none), Verdict::default());
        let v = ask(&p, &root(), "kms:Encrypt", &none);
        assert!(v.allow_account || v.allow_principal, "{principal}");
    }
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"kms:*","Resource":"*"}"#,
    );
    assert_eq!(ask(&p, &alice(), "kms:Encrypt", &none), Verdict::default());
    let p = key_policy(
        r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#,
    );
    assert!(!ask(&p, &alice(), "kms:Encrypt", &none).deny);
    assert!(ask(&p, &other(), "kms:Encrypt", &none).deny);
}

#[test]
fn actions_match_with_wildcards_case_insensitively_and_not_action_inverts() {
    let none = ConditionContext::default();
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":["kms:Generate*","kms:decrypt"],"Resource":"*"}"#,
    );
    for action in [
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:Decrypt",
    ] {
        assert!(ask(&p, &alice(), action, &none).allow_principal, "{action}");
    }
    assert!(!ask(&p, &alice(), "kms:Encrypt", &none).allow_principal);
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","NotAction":["kms:ScheduleKeyDeletion","kms:Put*"],"Resource":"*"}"#,
    );
    assert!(ask(&p, &alice(), "kms:Encrypt", &none).allow_principal);
    assert!(!ask(&p, &alice(), "kms:PutKeyPolicy", &none).allow_principal);
    assert!(!ask(&p, &alice(), "kms:ScheduleKeyDeletion", &none).allow_principal);
}

#[test]
fn resources_and_not_resources_match_key_arns() {
    let none = ConditionContext::default();
    let p = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert!(ask(&p, &alice(), "kms:Encrypt", &none).allow_principal);
    let elsewhere = AccessRequest {
        principal: &alice(),
        action: "kms:Encrypt",
        resource: "arn:aws:kms:us-east-1:444455556666:key/x",
        context: &none,
    };
    assert!(!p.evaluate(&elsewhere).allow_principal);
    let p = Policy::parse(
        r#"{"Statement":{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:*"}}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert!(p.evaluate(&elsewhere).deny);
    assert!(!ask(&p, &alice(), "kms:Encrypt", &none).deny);
}

#[test]
fn encryption_context_conditions() {
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"StringEquals":{"kms:EncryptionContext:Department":["IT","Ops"]}}}"#,
    );
    assert!(ask(&p, &alice(), "kms:Decrypt", &ec(&[("Department", "IT")])).allow_principal);
    assert!(ask(&p, &alice(), "kms:Decrypt", &ec(&[("department", "Ops")])).allow_principal);
    assert!(!ask(&p, &alice(), "kms:Decrypt", &ec(&[("Department", "it")])).allow_principal);
    assert!(!ask(&p, &alice(), "kms:Decrypt", &ec(&[])).allow_principal);

    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"StringLike":{"kms:EncryptionContext:project":"alpha-*"},
                         "StringNotEquals":{"kms:EncryptionContext:stage":"prod"}}}"#,
    );
    assert!(
        ask(&p, &alice(), "kms:Decrypt", &ec(&[("project", "alpha-7")])).allow_principal,
        "a negated operator holds when its key is absent"
    );
    assert!(
        !ask(
            &p,
            &alice(),
            "kms:Decrypt",
            &ec(&[("project", "alpha-7"), ("stage", "prod")])
        )
        .allow_principal
    );
    assert!(!ask(&p, &alice(), "kms:Decrypt", &ec(&[("project", "beta")])).allow_principal);
}

#[test]
fn set_operators_and_if_exists() {
    let all = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*",
            "Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}}"#,
    );
    let any = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*",
            "Condition":{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}}"#,
    );
    let allowed =
        |p: &Policy, ctx: &ConditionContext| ask(p, &alice(), "kms:Encrypt", ctx).allow_principal;
    assert!(allowed(&all, &ec(&[("a", "1")])));
    assert!(allowed(&all, &ec(&[("a", "1"), ("b", "2")])));
    assert!(!allowed(&all, &ec(&[("a", "1"), ("c", "3")])));
    assert!(
        allowed(&all, &ec(&[])),
        "ForAllValues holds for an absent key"
    );
    assert!(allowed(&any, &ec(&[("c", "3"), ("b", "2")])));
    assert!(!allowed(&any, &ec(&[("c", "3")])));
    assert!(!allowed(&any, &ec(&[])));
    let none_of = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*",
            "Condition":{"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":["secret"]}}}"#,
    );
    assert!(allowed(&none_of, &ec(&[("a", "1")])));
    assert!(!allowed(&none_of, &ec(&[("a", "1"), ("secret", "x")])));

    let via = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*",
            "Condition":{"StringEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
    );
    let mut ctx = ConditionContext::default();
    assert!(allowed(&via, &ctx), "IfExists holds when the key is absent");
    ctx.set_one("kms:ViaService", "ec2.us-east-1.amazonaws.com");
    assert!(!allowed(&via, &ctx));
}

#[test]
fn bool_null_and_arn_operators() {
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:CreateGrant","Resource":"*",
            "Condition":{"Bool":{"kms:GrantIsForAWSResource":true},
                         "ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}}"#,
    );
    let mut ctx = ConditionContext::default();
    ctx.set_one("kms:GrantIsForAWSResource", "true");
    ctx.set_one("aws:PrincipalArn", alice().arn);
    assert!(ask(&p, &alice(), "kms:CreateGrant", &ctx).allow_principal);
    ctx.set_one("kms:GrantIsForAWSResource", "false");
    assert!(!ask(&p, &alice(), "kms:CreateGrant", &ctx).allow_principal);

    let p = key_policy(
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*",
            "Condition":{"Null":{"kms:EncryptionContextKeys":"true"}}}"#,
    );
    assert!(ask(&p, &alice(), "kms:Encrypt", &ec(&[])).deny);
    assert!(!ask(&p, &alice(), "kms:Encrypt", &ec(&[("a", "1")])).deny);
}

#[test]
fn malformed_documents_are_rejected_with_a_reason() {
    for (doc, kind) in [
        ("not json", PolicyKind::Key),
        ("[]", PolicyKind::Key),
        (r#"{"Version":"2012-10-17"}"#, PolicyKind::Key),
        (r#"{"Statement":[]}"#, PolicyKind::Key),
        (
            r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"kms:*"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:x"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"Decrypt"}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"NumericLessThan":{"a":"1"}}}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Extra":1}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
            PolicyKind::Identity,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#,
            PolicyKind::Identity,
        ),
    ] {
        assert!(Policy::parse(doc, kind).is_err(), "{doc}");
    }
    let huge = format!(
        r#"{{"Statement":{{"Effect":"Allow","Principal":"*","Action":"kms:*","Sid":"{}"}}}}"#,
        "x".repeat(MAX_POLICY_BYTES)
    );
    assert!(Policy::parse(&huge, PolicyKind::Key).is_err());
}

#[test]
fn wildcards_never_backtrack_exponentially() {
    assert!(wildcard_match("a*b*c*d", "axxbyyczzd", false));
    assert!(!wildcard_match("a*b*c*d", "axxbyyczz", false));
    assert!(wildcard_match("k?s:*", "kms:Decrypt", false));
    assert!(wildcard_match("KMS:DECRYPT", "kms:Decrypt", true));
    let long = "a".repeat(5000);
    assert!(!wildcard_match(
        &format!("{}b", "*a".repeat(50)),
        &long,
        false
    ));
}
