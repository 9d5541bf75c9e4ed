//! Constraint checks from the API model, with AWS's `ValidationException` wording.
//!
//! AWS checks every member against the model and reports all violations at
//! once: `2 validation errors detected: Value '0' at 'limit' failed to satisfy
//! constraint: Member must have value greater than or equal to 1; ...`.
//! Member names in the message are camelCase, as AWS prints them.

use std::collections::BTreeMap;

use super::Blob;

/// Checks a request against the model's constraints.
pub trait Validate {
    /// Records every violation in `v`.
    fn check(&self, v: &mut Validator);

    /// `Ok` when the request satisfies the model, else the AWS-style message.
    fn validate(&self) -> Result<(), String> {
        let mut v = Validator::default();
        self.check(&mut v);
        v.finish()
    }
}

/// Collects constraint violations.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<String>,
}

/// Shortens a value for quoting in a message (AWS quotes values in full, but
/// a message must stay small and must not echo secrets; blobs are never quoted).
fn quote(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push_str("...");
        s
    }
}

impl Validator {
    /// Records a violation in AWS's words.
    pub fn fail(&mut self, member: &str, value: Option<&str>, constraint: &str) {
        let value = match value {
            Some(v) => format!("'{}'", quote(v)),
            None => "null".to_owned(),
        };
        self.errors.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required member that is absent.
    pub fn required<T>(&mut self, member: &str, value: &Option<T>) {
        if value.is_none() {
            self.fail(member, None, "Member must not be null");
        }
    }

    /// A string whose length (in characters) must be within `min..=max`.
    pub fn length(&mut self, member: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.fail(
                member,
                Some(value),
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.fail(
                member,
                Some(value),
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// An optional string with a length constraint.
    pub fn opt_length(&mut self, member: &str, value: &Option<String>, min: usize, max: usize) {
        if let Some(s) = value {
            self.length(member, s, min, max);
        }
    }

    /// A blob whose length must be within `min..=max`; its bytes are never quoted.
    pub fn blob(&mut self, member: &str, value: &Blob, min: usize, max: usize) {
        let n = value.len();
        let value = Some("[SENSITIVE]");
        if n < min {
            self.fail(
                member,
                value,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.fail(
                member,
                value,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// An optional blob with a length constraint.
    pub fn opt_blob(&mut self, member: &str, value: &Option<Blob>, min: usize, max: usize) {
        if let Some(b) = value {
            self.blob(member, b, min, max);
        }
    }

    /// An integer within `min..=max`.
    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) {
        let Some(n) = value else { return };
        if n < min {
            self.fail(
                member,
                Some(&n.to_string()),
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if n > max {
            self.fail(
                member,
                Some(&n.to_string()),
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// A list whose length must be within `min..=max`.
    pub fn list_len<T>(&mut self, member: &str, value: &Option<Vec<T>>, min: usize, max: usize) {
        let Some(list) = value else { return };
        if list.len() < min {
            self.fail(
                member,
                Some(&format!("{} items", list.len())),
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if list.len() > max {
            self.fail(
                member,
                Some(&format!("{} items", list.len())),
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A string that must match `^[a-zA-Z0-9:/_-]+$` (alias names).
    pub fn alias_pattern(&mut self, member: &str, value: &str) {
        let ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'));
        if !ok {
            self.fail(
                member,
                Some(value),
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            );
        }
    }

    /// A paging marker: 1-1024 characters in `[\u0020-\u00FF]`.
    pub fn marker(&mut self, member: &str, value: &Option<String>) {
        let Some(m) = value else { return };
        self.length(member, m, 1, 1024);
        if !m.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c)) {
            self.fail(
                member,
                Some(m),
                "Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*",
            );
        }
    }

    /// Grant tokens: at most 10, each 1-8192 characters.
    pub fn grant_tokens(&mut self, value: &Option<Vec<String>>) {
        self.list_len("grantTokens", value, 0, 10);
        for token in value.iter().flatten() {
            self.length("grantTokens.member", token, 1, 8192);
        }
    }

    /// Tags: keys 1-128 characters, values 0-256.
    pub fn tags(&mut self, member: &str, value: &Option<Vec<super::Tag>>) {
        for (i, tag) in value.iter().flatten().enumerate() {
            let n = i + 1;
            self.length(&format!("{member}.{n}.member.tagKey"), &tag.tag_key, 1, 128);
            self.length(
                &format!("{member}.{n}.member.tagValue"),
                &tag.tag_value,
                0,
                256,
            );
        }
    }

    /// Encryption context: no constraint in the model, but an empty key is
    /// rejected by AWS.
    pub fn encryption_context(&mut self, member: &str, value: &Option<BTreeMap<String, String>>) {
        if value.iter().flatten().any(|(k, _)| k.is_empty()) {
            self.fail(
                member,
                Some("{...}"),
                "Map keys must have length greater than or equal to 1",
            );
        }
    }

    /// `Ok` or the combined AWS message.
    pub fn finish(self) -> Result<(), String> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(format!(
                "1 validation error detected: {}",
                self.errors.join("; ")
            )),
            n => Err(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_aws() {
        let mut v = Validator::default();
        v.range("limit", Some(0), 1, 1000);
        assert_eq!(
            v.finish().unwrap_err(),
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        );
        let mut v = Validator::default();
        v.length("keyId", "", 1, 2048);
        v.required::<String>("plaintext", &None);
        let msg = v.finish().unwrap_err();
        assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
        assert!(msg.contains("Value null at 'plaintext'"), "{msg}");
    }

    #[test]
    fn blobs_are_never_quoted() {
        let mut v = Validator::default();
        v.blob("plaintext", &Blob::from(vec![7u8; 5000]), 1, 4096);
        let msg = v.finish().unwrap_err();
        assert!(msg.contains("[SENSITIVE]") && msg.contains("less than or equal to 4096"));
    }
}
