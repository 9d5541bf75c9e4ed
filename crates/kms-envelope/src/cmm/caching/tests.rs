use super::*;
use crate::cmm::DefaultMaterialsManager;
use crate::keyring::RawAesKeyring;
use crate::suite::{AlgorithmSuiteId, CommitmentPolicy};
use alloc::rc::Rc;
use core::cell::Cell;

/// An underlying manager that counts calls and can hold them at a gate
/// until the test opens it.
struct Gated {
    inner: DefaultMaterialsManager,
    seen_length: Rc<Cell<Option<u64>>>,
    calls: Rc<Cell<u32>>,
    open: Rc<Cell<bool>>,
}

struct Gate(Rc<Cell<bool>>);

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl MaterialsManager for Gated {
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        Box::pin(async move {
            self.calls.set(self.calls.get() + 1);
            self.seen_length.set(request.max_plaintext_length);
            Gate(self.open.clone()).await;
            self.inner.get_encryption_materials(request).await
        })
    }

    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        Box::pin(async move {
            self.calls.set(self.calls.get() + 1);
            Gate(self.open.clone()).await;
            self.inner.decrypt_materials(request).await
        })
    }
}

struct Fixture {
    calls: Rc<Cell<u32>>,
    seen_length: Rc<Cell<Option<u64>>>,
    open: Rc<Cell<bool>>,
    now: Rc<Cell<u64>>,
}

fn fixture() -> (Fixture, CachingMaterialsManagerBuilder) {
    let calls = Rc::new(Cell::new(0));
    let open = Rc::new(Cell::new(true));
    let now = Rc::new(Cell::new(1_000_000));
    let seen_length = Rc::new(Cell::new(None));
    let underlying = Gated {
        seen_length: seen_length.clone(),
        inner: DefaultMaterialsManager::new(RawAesKeyring::new("ns", "k", &[4u8; 32]).unwrap()),
        calls: calls.clone(),
        open: open.clone(),
    };
    let clock = {
        let now = now.clone();
        move || now.get()
    };
    let builder =
        CachingMaterialsManager::builder(Box::new(underlying), clock, Duration::from_secs(60));
    (
        Fixture {
            calls,
            seen_length,
            open,
            now,
        },
        builder,
    )
}

fn request(context: &[(&str, &str)], len: Option<u64>) -> EncryptionMaterialsRequest {
    EncryptionMaterialsRequest {
        encryption_context: context.iter().copied().collect(),
        suite: None,
        commitment_policy: CommitmentPolicy::default(),
        max_plaintext_length: len,
        required_encryption_context_keys: Vec::new(),
    }
}

fn get(cmm: &CachingMaterialsManager, r: EncryptionMaterialsRequest) -> EncryptionMaterials {
    pollster::block_on(cmm.get_encryption_materials(r)).unwrap()
}

fn decrypt_request(m: &EncryptionMaterials) -> DecryptionMaterialsRequest {
    DecryptionMaterialsRequest {
        suite: m.suite.id,
        commitment_policy: CommitmentPolicy::ForbidEncryptAllowDecrypt,
        encrypted_data_keys: m.encrypted_data_keys.clone(),
        encryption_context: m.encryption_context.clone(),
        reproduced_encryption_context: None,
    }
}

#[test]
fn repeated_requests_hit_and_different_contexts_miss() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    let a1 = get(&cmm, request(&[("a", "1")], Some(10)));
    let a2 = get(&cmm, request(&[("a", "1")], Some(10)));
    let b = get(&cmm, request(&[("a", "2")], Some(10)));
    assert_eq!(a1.data_key, a2.data_key);
    assert_eq!(a1.encrypted_data_keys, a2.encrypted_data_keys);
    assert_ne!(a1.data_key, b.data_key);
    assert_eq!(f.calls.get(), 2);
    assert_eq!(
        cmm.stats(),
        CacheStats {
            hits: 1,
            misses: 2,
            bypassed: 0,
            underlying_calls: 2,
            evictions: 0,
            entries: 2,
        }
    );
}

#[test]
fn message_limit_retires_an_entry() {
    let (f, builder) = fixture();
    let cmm = builder.max_messages(2).build().unwrap();
    let keys: Vec<_> = (0..5)
        .map(|_| get(&cmm, request(&[], Some(1))).data_key)
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
    assert_eq!(keys[2], keys[3]);
    assert_ne!(keys[3], keys[4]);
    assert_eq!(f.calls.get(), 3);
    assert_eq!(cmm.stats().evictions, 2);
}

#[test]
fn byte_limit_retires_an_entry_and_unknown_or_oversized_lengths_bypass() {
    let (f, builder) = fixture();
    let cmm = builder.max_bytes(100).build().unwrap();
    let a = get(&cmm, request(&[], Some(60)));
    let b = get(&cmm, request(&[], Some(40)));
    assert_eq!(a.data_key, b.data_key); // 100 bytes: at the limit, allowed
    let c = get(&cmm, request(&[], Some(1)));
    assert_ne!(b.data_key, c.data_key);
    assert_eq!(f.calls.get(), 2);
    // What is fetched for the cache must be good for the whole byte limit.
    assert_eq!(f.seen_length.get(), Some(100));
    let unknown = get(&cmm, request(&[], None));
    assert_eq!(f.seen_length.get(), None);
    let oversized = get(&cmm, request(&[], Some(101)));
    assert_ne!(unknown.data_key, c.data_key);
    assert_ne!(oversized.data_key, c.data_key);
    assert_eq!(f.calls.get(), 4);
    assert_eq!(cmm.stats().bypassed, 2);
    // The entry was untouched by the bypasses.
    assert_eq!(get(&cmm, request(&[], Some(1))).data_key, c.data_key);
}

#[test]
fn least_recently_used_entry_is_evicted_at_capacity() {
    let (f, builder) = fixture();
    let cmm = builder.capacity(2).build().unwrap();
    let a = get(&cmm, request(&[("k", "a")], Some(1)));
    let _b = get(&cmm, request(&[("k", "b")], Some(1)));
    assert_eq!(
        get(&cmm, request(&[("k", "a")], Some(1))).data_key,
        a.data_key
    );
    let _c = get(&cmm, request(&[("k", "c")], Some(1))); // evicts b, not a
    assert_eq!(cmm.stats().entries, 2);
    assert_eq!(cmm.stats().evictions, 1);
    assert_eq!(f.calls.get(), 3);
    assert_eq!(
        get(&cmm, request(&[("k", "a")], Some(1))).data_key,
        a.data_key
    );
    assert_eq!(f.calls.get(), 3);
    get(&cmm, request(&[("k", "b")], Some(1)));
    assert_eq!(f.calls.get(), 4);
}

#[test]
fn entries_expire_by_the_callers_clock() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    let a = get(&cmm, request(&[], Some(1)));
    f.now.set(f.now.get() + 59_999);
    assert_eq!(get(&cmm, request(&[], Some(1))).data_key, a.data_key);
    f.now.set(f.now.get() + 1);
    let b = get(&cmm, request(&[], Some(1)));
    assert_ne!(a.data_key, b.data_key);
    assert_eq!(f.calls.get(), 2);
    // A clock that goes backwards does not make an entry fresher.
    f.now.set(0);
    let c = get(&cmm, request(&[], Some(1)));
    assert_ne!(b.data_key, c.data_key);
    // Decryption entries expire too.
    let d1 = pollster::block_on(cmm.decrypt_materials(decrypt_request(&c))).unwrap();
    f.now.set(60_000);
    let calls = f.calls.get();
    let d2 = pollster::block_on(cmm.decrypt_materials(decrypt_request(&c))).unwrap();
    assert_eq!(d1.data_key, d2.data_key);
    assert_eq!(f.calls.get(), calls + 1);
}

#[test]
fn suites_without_kdf_are_never_cached() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    for suite in [
        AlgorithmSuiteId::Aes128GcmIv12Tag16NoKdf,
        AlgorithmSuiteId::Aes192GcmIv12Tag16NoKdf,
        AlgorithmSuiteId::Aes256GcmIv12Tag16NoKdf,
    ] {
        let mut r = request(&[], Some(1));
        r.suite = Some(suite);
        r.commitment_policy = CommitmentPolicy::ForbidEncryptAllowDecrypt;
        let a = get(&cmm, r.clone());
        let b = get(&cmm, r);
        assert_ne!(a.data_key, b.data_key, "{suite:?}");
        for _ in 0..2 {
            let d = pollster::block_on(cmm.decrypt_materials(decrypt_request(&a))).unwrap();
            assert_eq!(d.data_key, a.data_key);
        }
    }
    assert_eq!(f.calls.get(), 12);
    assert_eq!(cmm.stats().entries, 0);
    assert_eq!(cmm.stats().bypassed, 12);
}

// Uses signed suites.
#[cfg(feature = "ecdsa")]
#[test]
fn signed_suites_are_cached_with_their_signing_key() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    let mut r = request(&[("a", "1")], Some(1));
    r.suite = Some(AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384);
    let a = get(&cmm, r.clone());
    let b = get(&cmm, r);
    assert_eq!(f.calls.get(), 1);
    assert_eq!(
        a.encryption_context.get(crate::context::PUBLIC_KEY_KEY),
        b.encryption_context.get(crate::context::PUBLIC_KEY_KEY)
    );
    let sk = b.signing_key.unwrap();
    let digest = [1u8; 48];
    let vk = pollster::block_on(cmm.decrypt_materials(decrypt_request(&a)))
        .unwrap()
        .verification_key
        .unwrap();
    vk.verify_digest(&digest, &sk.sign_digest(&digest).unwrap())
        .unwrap();
}

#[test]
fn decryption_entries_key_on_sorted_edks_context_and_reproduced_context() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    let m = get(&cmm, request(&[("a", "1")], Some(1)));
    let mut req = decrypt_request(&m);
    let other = EncryptedDataKey {
        provider_id: "other".into(),
        provider_info: b"x".to_vec(),
        ciphertext: alloc::vec![1, 2, 3],
    };
    req.encrypted_data_keys.push(other);
    let calls = f.calls.get();
    let d1 = pollster::block_on(cmm.decrypt_materials(req.clone())).unwrap();
    req.encrypted_data_keys.reverse();
    let d2 = pollster::block_on(cmm.decrypt_materials(req.clone())).unwrap();
    assert_eq!(d1.data_key, d2.data_key);
    assert_eq!(f.calls.get(), calls + 1);
    // A reproduced context is part of what the materials carry.
    req.reproduced_encryption_context = Some([("a", "1")].into_iter().collect());
    pollster::block_on(cmm.decrypt_materials(req.clone())).unwrap();
    assert_eq!(f.calls.get(), calls + 2);
    req.reproduced_encryption_context = Some([("a", "2")].into_iter().collect());
    assert!(pollster::block_on(cmm.decrypt_materials(req.clone())).is_err());
    // A failed fetch stores nothing.
    assert!(pollster::block_on(cmm.decrypt_materials(req)).is_err());
    assert_eq!(f.calls.get(), calls + 4);
    // A legacy message is refused by a strict policy even when cached.
    let mut strict = decrypt_request(&m);
    strict.suite = AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha256;
    strict.commitment_policy = CommitmentPolicy::RequireEncryptRequireDecrypt;
    assert_eq!(
        pollster::block_on(cmm.decrypt_materials(strict))
            .unwrap_err()
            .code(),
        crate::ErrorCode::CommitmentPolicy
    );
}

#[test]
fn entry_ids_follow_the_specification_formula_and_separate_partitions() {
    let (_f, builder) = fixture();
    let cmm = builder.partition_id("p1").build().unwrap();
    assert_eq!(cmm.partition_id(), "p1");
    let ctx: EncryptionContext = [("a", "1")].into_iter().collect();
    let mut r = request(&[("a", "1")], Some(1));
    r.suite = Some(AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey);
    let mut expected = Sha384::new();
    expected.update(b"\x01\x00\x01\x00p1\x00\x01\x00\x04\x78\x00");
    expected.update(ctx.serialize().unwrap());
    let expected: CacheKey = expected.finalize().into();
    assert_eq!(cmm.encryption_key(&r).unwrap(), expected);

    let edk = EncryptedDataKey {
        provider_id: "b".into(),
        provider_info: b"i".to_vec(),
        ciphertext: b"c".to_vec(),
    };
    let edk2 = EncryptedDataKey {
        provider_id: "a".into(),
        ..edk.clone()
    };
    let d = DecryptionMaterialsRequest {
        suite: AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
        commitment_policy: CommitmentPolicy::default(),
        encrypted_data_keys: alloc::vec![edk, edk2],
        encryption_context: ctx.clone(),
        reproduced_encryption_context: None,
    };
    let mut expected = Sha384::new();
    expected.update(b"\x01\x00\x02\x00p1\x00\x04\x78\x00");
    expected.update(b"\x00\x01a\x00\x01i\x00\x01c\x00\x01b\x00\x01i\x00\x01c\x00");
    expected.update(ctx.serialize().unwrap());
    let expected: CacheKey = expected.finalize().into();
    assert_eq!(cmm.decryption_key(&d).unwrap(), expected);

    let (_f, builder) = fixture();
    let p2 = builder.partition_id("p2").build().unwrap();
    assert_ne!(
        p2.encryption_key(&r).unwrap(),
        cmm.encryption_key(&r).unwrap()
    );
    assert_ne!(
        p2.decryption_key(&d).unwrap(),
        cmm.decryption_key(&d).unwrap()
    );
    let (_f, b1) = fixture();
    let (_f, b2) = fixture();
    let (r1, r2) = (b1.build().unwrap(), b2.build().unwrap());
    assert_ne!(r1.partition_id(), r2.partition_id());
    assert_eq!(r1.partition_id().len(), 32);
}

// Uses signed suites.
#[cfg(feature = "ecdsa")]
#[test]
fn policy_and_required_keys_separate_entries() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    let strict = get(&cmm, request(&[("a", "1")], Some(1)));
    let mut legacy = request(&[("a", "1")], Some(1));
    legacy.commitment_policy = CommitmentPolicy::ForbidEncryptAllowDecrypt;
    let legacy = get(&cmm, legacy);
    assert!(strict.suite.commitment && !legacy.suite.commitment);
    let mut required = request(&[("a", "1")], Some(1));
    required.required_encryption_context_keys = alloc::vec!["a".into()];
    let required = get(&cmm, required);
    assert_eq!(required.required_encryption_context_keys, ["a"]);
    assert_eq!(f.calls.get(), 3);
}

#[test]
fn overlapping_requests_share_one_underlying_call() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    f.open.set(false);
    let mut first = cmm.get_encryption_materials(request(&[("a", "1")], Some(1)));
    let mut second = cmm.get_encryption_materials(request(&[("a", "1")], Some(1)));
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..3 {
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(second.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(f.calls.get(), 1);
    f.open.set(true);
    let Poll::Ready(Ok(a)) = first.as_mut().poll(&mut cx) else {
        panic!("first should finish")
    };
    let Poll::Ready(Ok(b)) = second.as_mut().poll(&mut cx) else {
        panic!("second should read the entry")
    };
    assert_eq!(a.data_key, b.data_key);
    assert_eq!(f.calls.get(), 1);
    let stats = cmm.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.underlying_calls),
        (1, 1, 1)
    );
}

#[test]
fn waiter_takes_over_when_the_fetcher_is_dropped() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    f.open.set(false);
    let mut first = cmm.get_encryption_materials(request(&[], Some(1)));
    let mut second = cmm.get_encryption_materials(request(&[], Some(1)));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    drop(first);
    f.open.set(true);
    assert!(matches!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
    assert_eq!(f.calls.get(), 2);
    assert_eq!(cmm.stats().entries, 1);
}

#[test]
fn cleared_and_evicted_entries_are_dropped() {
    let (_f, builder) = fixture();
    let cmm = builder.capacity(1).build().unwrap();
    get(&cmm, request(&[("k", "1")], Some(1)));
    get(&cmm, request(&[("k", "2")], Some(1)));
    assert_eq!(cmm.stats().entries, 1);
    assert_eq!(cmm.state.borrow().entries.len(), 1);
    cmm.clear();
    assert_eq!(cmm.stats().entries, 0);
    assert_eq!(cmm.stats().evictions, 2);
    assert!(!alloc::format!("{cmm:?}").contains("DataKey"));
}

#[test]
fn builder_refuses_meaningless_limits() {
    for builder in [
        fixture().1.capacity(0),
        fixture().1.max_messages(0),
        fixture().1.max_messages((1 << 32) + 1),
        fixture().1.max_bytes(u64::MAX),
    ] {
        assert!(builder.build().is_err());
    }
    let (_f, b) = fixture();
    let zero_age = CachingMaterialsManager::builder(b.underlying, || 0, Duration::ZERO);
    assert!(zero_age.build().is_err());
}

#[test]
fn overlapping_decryptions_share_one_call_and_failures_are_not_shared() {
    let (f, builder) = fixture();
    let cmm = builder.build().unwrap();
    let m = get(&cmm, request(&[("a", "1")], Some(1)));
    let calls = f.calls.get();
    f.open.set(false);
    let mut cx = Context::from_waker(Waker::noop());
    let mut first = cmm.decrypt_materials(decrypt_request(&m));
    let mut second = cmm.decrypt_materials(decrypt_request(&m));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    f.open.set(true);
    let Poll::Ready(Ok(a)) = first.as_mut().poll(&mut cx) else {
        panic!("first should finish")
    };
    let Poll::Ready(Ok(b)) = second.as_mut().poll(&mut cx) else {
        panic!("second should read the entry")
    };
    assert_eq!(a.data_key, m.data_key);
    assert_eq!(b.data_key, m.data_key);
    assert_eq!(f.calls.get(), calls + 1);

    // A failing fetch wakes its waiter, which then tries for itself.
    let mut bad = decrypt_request(&m);
    bad.encrypted_data_keys[0].ciphertext[0] ^= 1;
    f.open.set(false);
    let mut first = cmm.decrypt_materials(bad.clone());
    let mut second = cmm.decrypt_materials(bad);
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    f.open.set(true);
    assert!(matches!(first.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    assert!(matches!(second.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    assert_eq!(f.calls.get(), calls + 3);
}
