//! Policy documents: parsing never panics, and whatever parses evaluates
//! without panicking for requests whose condition keys come from the input
//! too, with the properties the evaluator promises (a Deny statement over
//! everything denies; a policy that allows nothing allows nothing).
#![no_main]

use kms_protocol::policy::{
    AccessRequest, ConditionContext, Policy, PolicyKind, Principal, wildcard_match,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // The tail after the first NUL feeds condition values and a pattern.
    let (doc, rest) = s.split_once('\0').unwrap_or((s, "tenant=blue"));
    let mut context = ConditionContext::default();
    for pair in rest.split('&').take(16) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        context.set_one(&format!("kms:EncryptionContext:{k}"), v);
    }
    context.set(
        "kms:EncryptionContextKeys",
        rest.split('&').map(str::to_owned).take(16).collect(),
    );
    // Values for policy variables, from the input too.
    context.set_one("aws:username", rest.split('&').next().unwrap_or(""));
    context.set_one("aws:PrincipalAccount", "111122223333");
    let principals = [
        Principal::account_root("111122223333"),
        Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap(),
        Principal::from_arn("arn:aws:iam::444455556666:role/other").unwrap(),
    ];
    for kind in [PolicyKind::Key, PolicyKind::Identity] {
        let Ok(policy) = Policy::parse(doc, kind) else {
            continue;
        };
        for principal in &principals {
            for action in ["kms:Decrypt", "kms:PutKeyPolicy", "kms:Unknown"] {
                let _ = policy.evaluate(&AccessRequest {
                    principal,
                    action,
                    resource: "arn:aws:kms:us-east-1:111122223333:key/k",
                    context: &context,
                });
            }
        }
    }
    assert!(
        Policy::deny_all().evaluate(&AccessRequest {
            principal: &principals[0],
            action: "kms:Decrypt",
            resource: "*",
            context: &context,
        }) == Default::default()
    );
    let (pattern, value) = rest.split_once('|').unwrap_or((rest, doc));
    let star = format!("*{value}*");
    let _ = wildcard_match(pattern, value, false);
    assert!(wildcard_match(value, value, false) || value.contains(['*', '?']));
    assert!(wildcard_match(&star, value, true));
});
