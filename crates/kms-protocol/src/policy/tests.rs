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
fn numeric_operators_compare_numbers_not_strings() {
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*",
            "Condition":{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"14"},
                         "NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":30}}}"#,
    );
    let days = |d: &str| {
        let mut c = ConditionContext::default();
        c.set_one("kms:ScheduleKeyDeletionPendingWindowInDays", d);
        ask(&p, &alice(), "kms:ScheduleKeyDeletion", &c).allow_principal
    };
    assert!(!days("7"));
    assert!(days("14"));
    assert!(days("29"), "29 < 30 as numbers (as strings \"29\" > \"3\")");
    assert!(!days("30"));
    assert!(!days("100"), "as strings \"100\" < \"14\"");
    assert!(
        !days("fourteen"),
        "a value that is no number matches nothing"
    );
    assert!(
        !ask(&p, &alice(), "kms:ScheduleKeyDeletion", &ec(&[])).allow_principal,
        "an absent key fails a numeric condition"
    );

    let cases = [
        ("NumericEquals", "1.5", "1.50", true),
        ("NumericEquals", "2", "2.0", true),
        ("NumericNotEquals", "2", "2.0", false),
        ("NumericNotEquals", "2", "3", true),
        ("NumericLessThanEquals", "-1", "-1", true),
        ("NumericGreaterThan", "-1", "0", true),
        ("NumericGreaterThan", "-1", "-2", false),
        ("NumericLessThan", "1546257599.0", "1546257598", true),
    ];
    for (op, policy, actual, expect) in cases {
        let p = key_policy(&format!(
            r#"{{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
                "Condition":{{"{op}":{{"k:n":"{policy}"}}}}}}"#
        ));
        let mut c = ConditionContext::default();
        c.set_one("k:n", actual);
        assert_eq!(
            ask(&p, &alice(), "kms:Encrypt", &c).allow_principal,
            expect,
            "{op} {policy} against {actual}"
        );
    }
    for bad in ["", "1.", ".5", "1e3", "0x10", "1,5", " 1", "NaN", "inf"] {
        assert_eq!(super::parse_number(bad), None, "{bad:?}");
    }
}

#[test]
fn date_operators_take_iso_8601_and_epoch_seconds() {
    use super::parse_date;
    assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0.0));
    assert_eq!(parse_date("2026-12-03T10:00:00Z"), Some(1_796_292_000.0));
    assert_eq!(parse_date("2026-12-03"), Some(1_796_256_000.0));
    assert_eq!(parse_date("2026-12"), parse_date("2026-12-01"));
    assert_eq!(
        parse_date("2026"),
        Some(2026.0),
        "a bare number is epoch seconds"
    );
    assert_eq!(
        parse_date("2026-12-03T11:30:00+01:30"),
        parse_date("2026-12-03T10:00:00Z")
    );
    assert_eq!(
        parse_date("2026-12-03T05:00-05:00"),
        parse_date("2026-12-03T10:00:00Z")
    );
    assert_eq!(
        parse_date("2026-12-03T10:00:00.25Z"),
        Some(1_796_292_000.25)
    );
    assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800.0), "leap day");
    assert_eq!(parse_date("1796292000"), Some(1_796_292_000.0));
    assert_eq!(parse_date("1546257599.5"), Some(1_546_257_599.5));
    for bad in [
        "",
        "2026-12-3",
        "2026-13-01",
        "2025-02-29",
        "2026-12-03T10:00:00",
        "2026-12-03T24:00Z",
        "2026-12-03T10:60Z",
        "2026-12-03T10:00:61Z",
        "2026-12-03T10:00:00.Z",
        "2026-12-03T10:00+1:00",
        "2026-12T10:00Z",
        "2026-12-03 10:00Z",
        "yesterday",
    ] {
        assert_eq!(parse_date(bad), None, "{bad:?}");
    }

    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-12-01T00:00:00Z"},
                         "DateLessThan":{"aws:EpochTime":"1796292000"}}}"#,
    );
    let at = |current: &str, epoch: &str| {
        let mut c = ConditionContext::default();
        c.set_one("aws:CurrentTime", current);
        c.set_one("aws:EpochTime", epoch);
        ask(&p, &alice(), "kms:Decrypt", &c).allow_principal
    };
    assert!(at("2026-12-02T09:00:00Z", "1796202000"));
    assert!(
        !at("2026-11-30T23:59:59Z", "1796083199"),
        "before the window"
    );
    assert!(!at("2026-12-03T10:00:00Z", "1796292000"), "at its end");
    let not = key_policy(
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"DateNotEquals":{"k:d":["2026-12-03","2026-12-04T00:00:00Z"]}}}"#,
    );
    let denied = |d: &str| {
        let mut c = ConditionContext::default();
        c.set_one("k:d", d);
        ask(&not, &alice(), "kms:Decrypt", &c).deny
    };
    assert!(!denied("2026-12-03T00:00:00Z"));
    assert!(!denied("1796342400"), "the second date, as epoch seconds");
    assert!(denied("2026-12-05"));
}

#[test]
fn policy_variables_resolve_from_the_request_and_never_act_as_wildcards() {
    let identity = |resource: &str, version: &str| {
        Policy::parse(
            &format!(
                r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"kms:*",
                    "Resource":"{resource}"}}}}"#
            ),
            PolicyKind::Identity,
        )
        .unwrap()
    };
    let at = |policy: &Policy, resource: &str, ctx: &ConditionContext| {
        policy
            .evaluate(&AccessRequest {
                principal: &alice(),
                action: "kms:Decrypt",
                resource,
                context: ctx,
            })
            .allow_principal
    };
    let mut ctx = ConditionContext::default();
    ctx.set_one("aws:PrincipalAccount", "111122223333");
    ctx.set_one("aws:username", "alice");
    let own = identity("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", "2012-10-17");
    assert!(own.has_conditions(), "a variable needs the request's keys");
    assert!(at(&own, KEY, &ctx));
    assert!(!at(
        &own,
        "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        &ctx
    ));
    assert!(
        !at(&own, KEY, &ConditionContext::default()),
        "no value, no match"
    );
    let old = identity("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", "2008-10-17");
    assert!(!old.has_conditions());
    assert!(!at(&old, KEY, &ctx), "2008-10-17 reads variables as text");

    let cond = |op: &str, value: &str| {
        key_policy(&format!(
            r#"{{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
                "Condition":{{"{op}":{{"kms:EncryptionContext:owner":"{value}"}}}}}}"#
        ))
    };
    // Whether alice may decrypt with this context (and aws:username).
    let decrypts = |policy: &Policy, pairs: &[(&str, &str)], user: Option<&str>| {
        let mut c = ec(pairs);
        if let Some(u) = user {
            c.set_one("aws:username", u);
        }
        ask(policy, &alice(), "kms:Decrypt", &c).allow_principal
    };
    let owner = cond("StringEquals", "${aws:username}");
    assert!(decrypts(&owner, &[("owner", "alice")], Some("alice")));
    assert!(!decrypts(&owner, &[("owner", "bob")], Some("alice")));
    assert!(!decrypts(&owner, &[("owner", "alice")], None));
    let not_owner = cond("StringNotEquals", "${aws:username}");
    assert!(
        !decrypts(&not_owner, &[("owner", "bob")], None),
        "an unresolvable value makes even a negated condition false"
    );
    assert!(decrypts(&not_owner, &[("owner", "bob")], Some("alice")));
    let defaulted = cond("StringEquals", "${aws:username, 'shared'}");
    assert!(decrypts(&defaulted, &[("owner", "shared")], None));
    assert!(decrypts(&defaulted, &[("owner", "alice")], Some("alice")));
    // Substituted values and ${*} are literal; the policy's own * is not.
    let like = cond("StringLike", "team-${aws:username}-*");
    assert!(decrypts(&like, &[("owner", "team-a*-x")], Some("a*")));
    assert!(!decrypts(&like, &[("owner", "team-abc-x")], Some("a*")));
    let star = cond("StringLike", "a${*}b");
    assert!(decrypts(&star, &[("owner", "a*b")], None));
    assert!(!decrypts(&star, &[("owner", "axb")], None));
    let dollar = cond("StringEquals", "${$}{x}${?}");
    assert!(decrypts(&dollar, &[("owner", "${x}?")], None));
    // A multi-valued key has no single value to substitute.
    let keys = cond("StringEquals", "${kms:EncryptionContextKeys}");
    assert!(!decrypts(&keys, &[("owner", "owner"), ("b", "1")], None));

    let not_resource = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"kms:*",
            "NotResource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*"}}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    let denies = |ctx: &ConditionContext, resource: &str| {
        not_resource
            .evaluate(&AccessRequest {
                principal: &alice(),
                action: "kms:Decrypt",
                resource,
                context: ctx,
            })
            .deny
    };
    let foreign = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert!(denies(&ctx, foreign));
    assert!(!denies(&ctx, KEY));
    assert!(
        !denies(&ConditionContext::default(), foreign),
        "unresolvable: does not apply"
    );

    for bad in [
        "${aws:username",
        "${aws:username, shared}",
        "${aws:username, 'it's'}",
        "${}",
        "${aws user}",
    ] {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"kms:*","Resource":"{bad}"}}}}"#
        );
        assert!(Policy::parse(&doc, PolicyKind::Identity).is_err(), "{bad}");
        let old = doc.replace("2012-10-17", "2008-10-17");
        assert!(
            Policy::parse(&old, PolicyKind::Identity).is_ok(),
            "{bad} as text"
        );
    }
}

#[test]
fn ip_address_operators_match_cidr_ranges() {
    let p = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32","198.51.100.7"]}}}"#,
    );
    let from = |ip: Option<&str>| {
        let mut c = ConditionContext::default();
        if let Some(ip) = ip {
            c.set_one("aws:SourceIp", ip);
        }
        ask(&p, &alice(), "kms:Decrypt", &c).allow_principal
    };
    for ip in [
        "203.0.113.0",
        "203.0.113.255",
        "198.51.100.7",
        "2001:db8::1",
        "2001:db8:ffff:ffff::",
        "::ffff:203.0.113.9",
    ] {
        assert!(from(Some(ip)), "{ip}");
    }
    for ip in [
        "203.0.112.255",
        "203.0.114.0",
        "198.51.100.8",
        "2001:db9::",
        "::ffff:198.51.100.8",
        "not an address",
    ] {
        assert!(!from(Some(ip)), "{ip}");
    }
    assert!(!from(None), "no source address, no match");

    let outside = key_policy(
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
            "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
    );
    let denied = |ip: &str| {
        let mut c = ConditionContext::default();
        c.set_one("aws:SourceIp", ip);
        ask(&outside, &alice(), "kms:Decrypt", &c).deny
    };
    assert!(!denied("10.1.2.3"));
    assert!(denied("11.0.0.1"));
    assert!(denied("::1"), "an IPv6 address is outside an IPv4 range");
    let everything = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
            "Condition":{"IpAddress":{"aws:SourceIp":["0.0.0.0/0","::/0"]}}}"#,
    );
    let mut c = ConditionContext::default();
    c.set_one("aws:SourceIp", "192.0.2.1");
    assert!(ask(&everything, &alice(), "kms:Decrypt", &c).allow_principal);
    c.set_one("aws:SourceIp", "fe80::1");
    assert!(ask(&everything, &alice(), "kms:Decrypt", &c).allow_principal);

    for bad in [
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "10.0.0/8",
        "10.0.0.0/+8",
        "any",
    ] {
        let doc = format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":"*","Action":"kms:*",
                "Condition":{{"IpAddress":{{"aws:SourceIp":"{bad}"}}}}}}}}"#
        );
        assert!(Policy::parse(&doc, PolicyKind::Key).is_err(), "{bad}");
    }
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
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"NumericLessThan":{"a":"ten"}}}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-02-30"}}}}"#,
            PolicyKind::Key,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"NumericLike":{"a":"1"}}}}"#,
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
