//! The multi-keyring (framework/multi-keyring.md): one generator makes the
//! data key and every child wraps it too, so any one of them can decrypt.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

use super::{Keyring, no_decryptable_key};
use crate::LocalBoxFuture;
use crate::error::{Error, KeyringFailure};
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// Combines keyrings: on encrypt the generator (if any) generates and wraps
/// the data key and each child wraps it as well; on decrypt the generator
/// and then each child, in order, try the encrypted data keys until one
/// succeeds.
pub struct MultiKeyring {
    generator: Option<Box<dyn Keyring>>,
    children: Vec<Box<dyn Keyring>>,
}

impl core::fmt::Debug for MultiKeyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MultiKeyring")
            .field("generator", &self.generator.is_some())
            .field("children", &self.children.len())
            .finish()
    }
}

impl MultiKeyring {
    /// A multi-keyring; at least a generator or one child is required. Without
    /// a generator, the data key must already be set when it encrypts.
    pub fn new(
        generator: Option<Box<dyn Keyring>>,
        children: Vec<Box<dyn Keyring>>,
    ) -> Result<Self, Error> {
        if generator.is_none() && children.is_empty() {
            return Err(Error::InvalidArgument(
                "multi-keyring needs a generator or at least one child keyring",
            ));
        }
        Ok(MultiKeyring {
            generator,
            children,
        })
    }

    fn keyrings(&self) -> impl Iterator<Item = (usize, &dyn Keyring)> {
        self.generator
            .iter()
            .chain(self.children.iter())
            .map(|k| &**k)
            .enumerate()
    }
}

impl Keyring for MultiKeyring {
    fn on_encrypt<'a>(
        &'a self,
        materials: EncryptionMaterials,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        Box::pin(async move {
            let mut materials = materials;
            match &self.generator {
                Some(generator) => {
                    if materials.data_key.is_some() {
                        return Err(Error::InvalidArgument(
                            "multi-keyring with a generator received materials that already hold a data key",
                        ));
                    }
                    materials = generator.on_encrypt(materials).await?;
                    if materials.data_key.is_none() {
                        return Err(Error::InvalidArgument(
                            "the multi-keyring's generator did not produce a data key",
                        ));
                    }
                }
                None => {
                    if materials.data_key.is_none() {
                        return Err(Error::InvalidArgument(
                            "multi-keyring without a generator needs materials that already hold a data key",
                        ));
                    }
                }
            }
            // Any child failing fails the whole: a message must be decryptable
            // by every keyring the caller named.
            for child in &self.children {
                materials = child.on_encrypt(materials).await?;
            }
            Ok(materials)
        })
    }

    fn on_decrypt<'a>(
        &'a self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        Box::pin(async move {
            if materials.data_key.is_some() {
                return Ok(materials);
            }
            let mut failures = Vec::new();
            for (index, keyring) in self.keyrings() {
                // Each keyring gets its own copy: a failing one must not
                // leave partial changes behind for the next.
                match keyring
                    .on_decrypt(materials.clone(), encrypted_data_keys)
                    .await
                {
                    Ok(decrypted) if decrypted.data_key.is_some() => return Ok(decrypted),
                    Ok(_) => {}
                    Err(Error::NoDecryptableDataKey { failures: inner }) => failures.extend(inner),
                    // A member's own failure (a KMS error above all) keeps its
                    // details, so the caller still sees the KMS error kind.
                    Err(Error::Keyring(failure)) => failures.push(failure),
                    Err(other) => failures.push(KeyringFailure::new(
                        format!("multi-keyring member {index}"),
                        other.to_string(),
                    )),
                }
            }
            Err(no_decryptable_key(failures))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::EncryptionContext;
    use crate::keyring::RawAesKeyring;
    use crate::materials::DataKey;
    use crate::suite::AlgorithmSuiteId;
    use alloc::rc::Rc;
    use core::cell::RefCell;

    /// Records the order in which keyrings are asked, and fails as told.
    struct Probe {
        name: &'static str,
        log: Rc<RefCell<Vec<&'static str>>>,
        fail_with: Option<Error>,
    }

    impl Keyring for Probe {
        fn on_encrypt<'a>(
            &'a self,
            materials: EncryptionMaterials,
        ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
            self.log.borrow_mut().push(self.name);
            let r = match &self.fail_with {
                Some(e) => Err(e.clone()),
                None => Ok(materials),
            };
            Box::pin(core::future::ready(r))
        }

        fn on_decrypt<'a>(
            &'a self,
            _materials: DecryptionMaterials,
            _edks: &'a [EncryptedDataKey],
        ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
            self.log.borrow_mut().push(self.name);
            let e = self
                .fail_with
                .clone()
                .unwrap_or(Error::NoDecryptableDataKey {
                    failures: Vec::new(),
                });
            Box::pin(core::future::ready(Err(e)))
        }
    }

    fn aes(name: &str, byte: u8) -> Box<dyn Keyring> {
        Box::new(RawAesKeyring::new("ns", name, &[byte; 32]).unwrap())
    }

    fn suite() -> AlgorithmSuiteId {
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey
    }

    fn ctx() -> EncryptionContext {
        [("k", "v")].into_iter().collect()
    }

    fn decrypt(k: &dyn Keyring, edks: &[EncryptedDataKey]) -> Result<DecryptionMaterials, Error> {
        pollster::block_on(k.on_decrypt(DecryptionMaterials::new(suite().suite(), ctx()), edks))
    }

    #[test]
    fn generator_and_children_each_wrap_the_same_key_and_each_decrypts_alone() {
        let multi =
            MultiKeyring::new(Some(aes("a", 1)), alloc::vec![aes("b", 2), aes("c", 3)]).unwrap();
        let m =
            pollster::block_on(multi.on_encrypt(EncryptionMaterials::new(suite().suite(), ctx())))
                .unwrap();
        assert_eq!(m.encrypted_data_keys.len(), 3);
        let names: Vec<&[u8]> = m
            .encrypted_data_keys
            .iter()
            .map(|e| &e.provider_info[..1])
            .collect();
        assert_eq!(names, [b"a", b"b", b"c"]);
        for (name, byte) in [("a", 1), ("b", 2), ("c", 3)] {
            let single = aes(name, byte);
            let d = decrypt(&*single, &m.encrypted_data_keys).unwrap();
            assert_eq!(d.data_key, m.data_key);
        }
        let d = decrypt(&multi, &m.encrypted_data_keys).unwrap();
        assert_eq!(d.data_key, m.data_key);
    }

    #[test]
    fn without_generator_a_data_key_must_already_be_set() {
        let multi = MultiKeyring::new(None, alloc::vec![aes("b", 2)]).unwrap();
        let empty = EncryptionMaterials::new(suite().suite(), ctx());
        assert!(pollster::block_on(multi.on_encrypt(empty.clone())).is_err());
        let mut with_key = empty;
        with_key.data_key = Some(DataKey::generate(suite().suite()).unwrap());
        let m = pollster::block_on(multi.on_encrypt(with_key.clone())).unwrap();
        assert_eq!(m.encrypted_data_keys.len(), 1);
        assert_eq!(m.data_key, with_key.data_key);
        assert!(MultiKeyring::new(None, Vec::new()).is_err());
        // With a generator, a preset key is refused rather than replaced.
        let multi = MultiKeyring::new(Some(aes("a", 1)), Vec::new()).unwrap();
        assert!(pollster::block_on(multi.on_encrypt(with_key)).is_err());
    }

    #[test]
    fn a_failing_child_fails_encryption() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let failing = Box::new(Probe {
            name: "bad",
            log: log.clone(),
            fail_with: Some(Error::External("kms unreachable".into())),
        });
        let multi = MultiKeyring::new(Some(aes("a", 1)), alloc::vec![failing]).unwrap();
        let r =
            pollster::block_on(multi.on_encrypt(EncryptionMaterials::new(suite().suite(), ctx())));
        assert_eq!(r.unwrap_err(), Error::External("kms unreachable".into()));
    }

    #[test]
    fn decrypt_tries_generator_then_children_in_order_and_collects_failures() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let probe = |name, fail_with| -> Box<dyn Keyring> {
            Box::new(Probe {
                name,
                log: log.clone(),
                fail_with,
            })
        };
        let source = aes("real", 9);
        let m =
            pollster::block_on(source.on_encrypt(EncryptionMaterials::new(suite().suite(), ctx())))
                .unwrap();
        let mut tampered = m.encrypted_data_keys[0].clone();
        tampered.ciphertext[0] ^= 1;

        let multi = MultiKeyring::new(
            Some(probe("gen", Some(Error::External("network down".into())))),
            alloc::vec![probe("first", None), aes("real", 9), probe("never", None)],
        )
        .unwrap();
        let d = decrypt(&multi, &m.encrypted_data_keys).unwrap();
        assert_eq!(d.data_key, m.data_key);
        assert_eq!(*log.borrow(), ["gen", "first"]);

        log.borrow_mut().clear();
        match decrypt(&multi, &[tampered]).unwrap_err() {
            Error::NoDecryptableDataKey { failures } => {
                assert_eq!(failures.len(), 2, "{failures:?}");
                assert_eq!(failures[0].keyring, "multi-keyring member 0");
                assert!(failures[0].reason.contains("network down"));
                assert_eq!(failures[1].keyring, "ns/real");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*log.borrow(), ["gen", "first", "never"]);
    }
}
