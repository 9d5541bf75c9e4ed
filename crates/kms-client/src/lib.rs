//! A native AWS KMS client for kms-envelope's KMS keyrings.
//!
//! [`KmsHttpClient`] implements [`KmsClient`] over HTTP(S): AWS JSON 1.1
//! requests signed with SigV4 (kms-protocol's signer), against AWS KMS or
//! any compatible endpoint such as `kms-server`. Endpoint, region and
//! credentials come from explicit settings or AWS's standard sources
//! ([`ClientConfig::from_env`]). Throttling, HTTP 5xx and transport failures
//! are retried a bounded number of times with exponential backoff and full
//! jitter; each attempt has a timeout and responses a size limit.
//!
//! ```no_run
//! use std::rc::Rc;
//! use kms_client::{KmsHttpClient, Overrides};
//! use kms_envelope::cmm::DefaultMaterialsManager;
//! use kms_envelope::kms::KmsKeyring;
//! use kms_envelope::{EncryptOptions, EncryptionContext, encrypt};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Rc::new(KmsHttpClient::from_env(&Overrides::default())?);
//! let keyring = KmsKeyring::new("alias/app", client, Vec::new())?;
//! let manager = DefaultMaterialsManager::new(keyring);
//! let context = EncryptionContext::from_caller([("tenant", "42")])?;
//! let message = pollster::block_on(encrypt(&manager, b"hello", &context, &EncryptOptions::default()))?;
//! # let _ = message;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "http")]
mod client;
mod config;
mod error;
pub mod json;
mod profile;
pub mod wire;

#[cfg(feature = "http")]
use std::cell::RefCell;
#[cfg(feature = "http")]
use std::collections::HashMap;
#[cfg(feature = "http")]
use std::rc::Rc;

#[cfg(feature = "http")]
pub use client::KmsHttpClient;
pub use config::{
    ClientConfig, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Overrides, RetryPolicy, aws_endpoint,
};
pub use error::ConfigError;
pub use kms_envelope::kms::KmsClient;

#[cfg(feature = "http")]
use kms_envelope::kms::KmsClientSupplier;

#[cfg(feature = "http")]
/// Clients for any region from one base configuration (same credentials,
/// timeouts and retries; the endpoint follows the region unless it was set
/// explicitly), made once per region. `None` is the base region.
pub struct RegionalClients {
    base: ClientConfig,
    clients: RefCell<HashMap<String, Rc<KmsHttpClient>>>,
}

#[cfg(feature = "http")]
impl RegionalClients {
    /// Clients derived from `base`.
    pub fn new(base: ClientConfig) -> Self {
        RegionalClients {
            base,
            clients: RefCell::new(HashMap::new()),
        }
    }

    /// The client for `region` (`None`: the base configuration's).
    pub fn get(&self, region: Option<&str>) -> Result<Rc<KmsHttpClient>, ConfigError> {
        let region = region.unwrap_or(&self.base.region);
        if let Some(client) = self.clients.borrow().get(region) {
            return Ok(Rc::clone(client));
        }
        let client = Rc::new(KmsHttpClient::new(self.base.for_region(region)?)?);
        self.clients
            .borrow_mut()
            .insert(region.to_owned(), Rc::clone(&client));
        Ok(client)
    }
}

#[cfg(feature = "http")]
impl KmsClientSupplier for RegionalClients {
    fn client(&self, region: Option<&str>) -> Result<Rc<dyn KmsClient>, kms_envelope::Error> {
        match self.get(region) {
            Ok(client) => Ok(client),
            Err(_) => Err(kms_envelope::Error::InvalidArgument(
                "cannot make a KMS client for the region of a key ARN (invalid region)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_protocol::sigv4::Credentials;

    fn base(endpoint_is_custom: bool) -> ClientConfig {
        let mut config = ClientConfig::new(
            "https://kms.us-east-1.amazonaws.com",
            "us-east-1",
            Credentials::new("AKID", "secret", None),
        );
        config.endpoint_is_custom = endpoint_is_custom;
        config
    }

    #[test]
    fn one_client_per_region_made_once() {
        let clients = RegionalClients::new(base(false));
        let default = clients.get(None).unwrap();
        assert_eq!(default.region(), "us-east-1");
        assert!(Rc::ptr_eq(
            &default,
            &clients.get(Some("us-east-1")).unwrap()
        ));
        let west = clients.get(Some("us-west-2")).unwrap();
        assert_eq!(west.region(), "us-west-2");
        assert_eq!(
            west.config().endpoint,
            "https://kms.us-west-2.amazonaws.com"
        );
        assert!(Rc::ptr_eq(&west, &clients.get(Some("us-west-2")).unwrap()));
        // A custom endpoint serves every region.
        let custom = RegionalClients::new(base(true));
        let west = custom.get(Some("us-west-2")).unwrap();
        assert_eq!(
            west.config().endpoint,
            "https://kms.us-east-1.amazonaws.com"
        );
    }

    #[test]
    fn a_malformed_region_cannot_reshape_the_endpoint_url() {
        // Regions come from key ARNs; whatever they hold must not turn
        // kms.REGION.amazonaws.com into another host.
        let clients = RegionalClients::new(base(false));
        for region in ["evil.example/", "us-east-1.evil.example", "a b", "", "x:1"] {
            assert!(clients.get(Some(region)).is_err(), "{region}");
            assert!(KmsClientSupplier::client(&clients, Some(region)).is_err());
        }
    }
}
