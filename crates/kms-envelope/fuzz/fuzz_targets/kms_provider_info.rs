//! Arbitrary bytes as the provider info of `aws-kms` and `aws-kms-rsa`
//! encrypted data keys: the ARN and identifier parsers, multi-Region
//! matching, and the KMS keyrings' decrypt filtering, never a panic. A
//! string that parses as an ARN prints back unchanged.
#![no_main]

use std::rc::Rc;

use kms_envelope::EncryptionContext;
use kms_envelope::LocalBoxFuture;
use kms_envelope::keyring::Keyring;
use kms_envelope::kms::{
    DecryptRequest, DecryptResponse, DiscoveryFilter, EncryptRequest, EncryptResponse,
    GenerateDataKeyRequest, GeneratedDataKey, KmsArn, KmsClient, KmsDiscoveryKeyring, KmsError,
    KmsKeyIdentifier, KmsMrkDiscoveryKeyring, KmsMrkKeyring, KmsRsaAlgorithm, KmsRsaKeyring,
    PublicKeyResponse, mrk_match_for_decrypt,
};
use kms_envelope::materials::{DecryptionMaterials, EncryptedDataKey};
use kms_envelope::suite::AlgorithmSuiteId;
use libfuzzer_sys::fuzz_target;

/// A KMS that knows no key.
struct NoKeys;

fn refused<'a, T: 'a>() -> LocalBoxFuture<'a, Result<T, KmsError>> {
    Box::pin(core::future::ready(Err(KmsError::service(
        "NotFoundException",
        "no keys here",
    ))))
}

impl KmsClient for NoKeys {
    fn region(&self) -> &str {
        "us-west-2"
    }
    fn generate_data_key<'a>(
        &'a self,
        _: GenerateDataKeyRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<GeneratedDataKey, KmsError>> {
        refused()
    }
    fn encrypt<'a>(
        &'a self,
        _: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>> {
        refused()
    }
    fn decrypt<'a>(
        &'a self,
        _: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>> {
        refused()
    }
    fn get_public_key<'a>(
        &'a self,
        _: &'a str,
        _: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        refused()
    }
}

const CONFIGURED: &str = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234";

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(arn) = KmsArn::parse(text) {
            assert_eq!(arn.to_string(), text);
            let _ = arn.with_region("eu-west-1").to_string();
        }
        let _ = KmsKeyIdentifier::parse(text).map(|id| id.is_multi_region_key());
        let _ = mrk_match_for_decrypt(CONFIGURED, text);
        let _ = mrk_match_for_decrypt(text, text);
    }
    let client: Rc<dyn KmsClient> = Rc::new(NoKeys);
    let filter = DiscoveryFilter::new("aws", ["111122223333"]).ok();
    let keyrings: Vec<Box<dyn Keyring>> = vec![
        Box::new(KmsMrkKeyring::new(CONFIGURED, client.clone(), Vec::new()).unwrap()),
        Box::new(KmsDiscoveryKeyring::new(
            client.clone(),
            filter.clone(),
            Vec::new(),
        )),
        Box::new(KmsMrkDiscoveryKeyring::new(client.clone(), None, Vec::new()).unwrap()),
        Box::new(
            KmsRsaKeyring::new(CONFIGURED, KmsRsaAlgorithm::OaepSha256)
                .unwrap()
                .with_client(client),
        ),
    ];
    let edks: Vec<EncryptedDataKey> = ["aws-kms", "aws-kms-rsa"]
        .iter()
        .map(|provider_id| EncryptedDataKey {
            provider_id: (*provider_id).to_owned(),
            provider_info: data.to_vec(),
            ciphertext: vec![1, 2, 3],
        })
        .collect();
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey.suite();
    for keyring in &keyrings {
        let materials = DecryptionMaterials::new(suite, EncryptionContext::new());
        // A stranger's provider info can only ever fail to decrypt.
        assert!(pollster::block_on(keyring.on_decrypt(materials, &edks)).is_err());
    }
});
