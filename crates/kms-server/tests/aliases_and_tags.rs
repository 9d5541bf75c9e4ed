//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases, TagResource,
//! UntagResource, ListResourceTags.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn alias_lifecycle() {
    let s = TestServer::new();
    let a = s.create_key(empty()).await;
    let b = s.create_key(empty()).await;
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": a}),
    )
    .await;
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/app", "TargetKeyId": b})
        )
        .await,
        "AlreadyExistsException"
    );
    let v = s.ok("ListAliases", empty()).await;
    let entry = &v["Aliases"][0];
    assert_eq!(entry["AliasName"], "alias/app");
    assert_eq!(
        entry["AliasArn"],
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app")
    );
    assert_eq!(entry["TargetKeyId"], a.as_str());
    assert!(entry["CreationDate"].is_number());

    s.ok(
        "UpdateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": b}),
    )
    .await;
    let v = s.ok("DescribeKey", json!({"KeyId": "alias/app"})).await;
    assert_eq!(v["KeyMetadata"]["KeyId"], b.as_str());

    s.ok("DeleteAlias", json!({"AliasName": "alias/app"})).await;
    assert_eq!(
        s.err("DeleteAlias", json!({"AliasName": "alias/app"}))
            .await,
        "NotFoundException"
    );
    assert_eq!(
        s.err(
            "UpdateAlias",
            json!({"AliasName": "alias/app", "TargetKeyId": b})
        )
        .await,
        "NotFoundException"
    );
    assert_eq!(s.ok("ListAliases", empty()).await["Aliases"], json!([]));
}

#[tokio::test]
async fn alias_names_follow_aws_rules() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/aws/s3", "TargetKeyId": id})
        )
        .await,
        "NotAuthorizedException"
    );
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "app", "TargetKeyId": id})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/a b", "TargetKeyId": id})
        )
        .await,
        "ValidationException"
    );
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/x", "TargetKeyId": id}),
    )
    .await;
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/y", "TargetKeyId": "alias/x"})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/z", "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})
        )
        .await,
        "NotFoundException"
    );
}

#[tokio::test]
async fn aliases_cannot_point_at_keys_pending_deletion_or_of_another_type() {
    let s = TestServer::new();
    let sym = s.create_key(empty()).await;
    let hmac = s.create_key(json!({"KeySpec": "HMAC_256"})).await;
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/sym", "TargetKeyId": sym}),
    )
    .await;
    assert_eq!(
        s.err(
            "UpdateAlias",
            json!({"AliasName": "alias/sym", "TargetKeyId": hmac})
        )
        .await,
        "ValidationException"
    );
    let doomed = s.create_key(empty()).await;
    s.ok("ScheduleKeyDeletion", json!({"KeyId": doomed})).await;
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/d", "TargetKeyId": doomed})
        )
        .await,
        "KMSInvalidStateException"
    );
}

#[tokio::test]
async fn list_aliases_filters_by_key_and_pages() {
    let s = TestServer::new();
    let a = s.create_key(empty()).await;
    let b = s.create_key(empty()).await;
    for n in 0..3 {
        s.ok(
            "CreateAlias",
            json!({"AliasName": format!("alias/a{n}"), "TargetKeyId": a}),
        )
        .await;
    }
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/b", "TargetKeyId": b}),
    )
    .await;
    let v = s.ok("ListAliases", json!({"KeyId": b})).await;
    assert_eq!(v["Aliases"].as_array().unwrap().len(), 1);
    assert_eq!(v["Aliases"][0]["AliasName"], "alias/b");

    let v = s.ok("ListAliases", json!({"KeyId": a, "Limit": 2})).await;
    assert_eq!(v["Truncated"], true);
    assert_eq!(v["Aliases"].as_array().unwrap().len(), 2);
    let v = s
        .ok(
            "ListAliases",
            json!({"KeyId": a, "Limit": 2, "Marker": v["NextMarker"]}),
        )
        .await;
    assert_eq!(v["Truncated"], false);
    assert_eq!(v["Aliases"][0]["AliasName"], "alias/a2");
    assert_eq!(
        s.err(
            "ListAliases",
            json!({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})
        )
        .await,
        "NotFoundException"
    );
}

#[tokio::test]
async fn tags_add_overwrite_remove_and_page() {
    let s = TestServer::new();
    let id = s
        .create_key(json!({"Tags": [{"TagKey": "team", "TagValue": "a"}]}))
        .await;
    s.ok(
        "TagResource",
        json!({"KeyId": id, "Tags": [
            {"TagKey": "team", "TagValue": "b"},
            {"TagKey": "env", "TagValue": "prod"},
            {"TagKey": "cost", "TagValue": ""}
        ]}),
    )
    .await;
    let v = s.ok("ListResourceTags", json!({"KeyId": id})).await;
    assert_eq!(
        v["Tags"],
        json!([
            {"TagKey": "cost", "TagValue": ""},
            {"TagKey": "env", "TagValue": "prod"},
            {"TagKey": "team", "TagValue": "b"}
        ])
    );
    assert_eq!(v["Truncated"], false);
    let v = s
        .ok("ListResourceTags", json!({"KeyId": id, "Limit": 1}))
        .await;
    assert_eq!(v["Truncated"], true);
    assert_eq!(v["NextMarker"], "cost");

    s.ok(
        "UntagResource",
        json!({"KeyId": id, "TagKeys": ["env", "absent"]}),
    )
    .await;
    let v = s.ok("ListResourceTags", json!({"KeyId": id})).await;
    assert_eq!(v["Tags"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn tag_errors() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    assert_eq!(
        s.err(
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "aws:x", "TagValue": "1"}]})
        )
        .await,
        "TagException"
    );
    assert_eq!(
        s.err(
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "", "TagValue": "1"}]})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err("TagResource", json!({"KeyId": id})).await,
        "ValidationException"
    );
    let many: Vec<_> = (0..51)
        .map(|i| json!({"TagKey": format!("k{i}"), "TagValue": "v"}))
        .collect();
    assert_eq!(
        s.err("TagResource", json!({"KeyId": id, "Tags": many}))
            .await,
        "LimitExceededException"
    );
    assert_eq!(
        s.err(
            "ListResourceTags",
            json!({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})
        )
        .await,
        "NotFoundException"
    );
    s.ok("ScheduleKeyDeletion", json!({"KeyId": id})).await;
    assert_eq!(
        s.err(
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "a", "TagValue": "1"}]})
        )
        .await,
        "KMSInvalidStateException"
    );
}
