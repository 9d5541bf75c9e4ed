//! Policies: the grammar and evaluation live in [`kms_protocol::policy`]
//! (shared, fuzzed); this module adds the server's identity-policy table.

use std::collections::HashMap;
use std::sync::Arc;

pub use kms_protocol::policy::*;

/// The identity policies of every principal that has some, by principal ARN.
#[derive(Debug, Clone, Default)]
pub struct IdentityPolicies {
    by_principal: HashMap<String, Arc<[Policy]>>,
}

impl IdentityPolicies {
    /// Adds a policy of a principal.
    pub fn add(&mut self, principal_arn: &str, policy: Policy) {
        let mut list: Vec<Policy> = self
            .by_principal
            .get(principal_arn)
            .map(|l| l.to_vec())
            .unwrap_or_default();
        list.push(policy);
        self.by_principal
            .insert(principal_arn.to_owned(), Arc::from(list));
    }

    /// A principal's policies (none when it has none).
    pub fn of(&self, principal_arn: &str) -> Arc<[Policy]> {
        self.by_principal
            .get(principal_arn)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    /// Number of principals with policies.
    pub fn len(&self) -> usize {
        self.by_principal.len()
    }

    /// Whether no principal has a policy.
    pub fn is_empty(&self) -> bool {
        self.by_principal.is_empty()
    }
}
