//! Reading a profile from an AWS shared-credentials file
//! (`~/.aws/credentials`, or the one `kms-server` writes to its data dir).

use anyhow::{Context as _, Result, bail};
use kms_protocol::sigv4::Credentials;

/// A profile's credentials and, if the file names one, its region.
#[derive(Debug)]
pub struct Profile {
    /// Access key id, secret and optional session token.
    pub credentials: Credentials,
    /// The profile's `region`, if present.
    pub region: Option<String>,
}

/// Parses `text` (INI: `[profile]` sections of `key = value` lines, `#` and
/// `;` comments) and returns the named profile.
pub fn parse_profile(text: &str, profile: &str) -> Result<Profile> {
    let mut in_profile = false;
    let mut seen_profile = false;
    let (mut id, mut secret, mut token, mut region) = (None, None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
            seen_profile |= in_profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "aws_access_key_id" => id = Some(value),
            "aws_secret_access_key" => secret = Some(value),
            "aws_session_token" => token = Some(value),
            "region" => region = Some(value),
            _ => {}
        }
    }
    if !seen_profile {
        bail!("no [{profile}] profile");
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(Profile {
            credentials: Credentials::new(id, secret, token.filter(|t| !t.is_empty())),
            region,
        }),
        _ => bail!("profile [{profile}] lacks aws_access_key_id or aws_secret_access_key"),
    }
}

/// Reads a shared-credentials file and returns the named profile.
pub fn load_profile(path: &std::path::Path, profile: &str) -> Result<Profile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read credentials file {}", path.display()))?;
    parse_profile(&text, profile).with_context(|| format!("in {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# written by kms-server
[default]
aws_access_key_id = AKIAADMIN
aws_secret_access_key=s3cret/+x
region = eu-west-1

[other]
; a comment
aws_access_key_id = AKIAOTHER
aws_secret_access_key = other
aws_session_token = tok
";

    #[test]
    fn reads_the_named_profile() {
        let p = parse_profile(FILE, "default").unwrap();
        assert_eq!(p.credentials.access_key_id(), "AKIAADMIN");
        assert_eq!(
            p.credentials.secret_access_key().expose_secret(),
            "s3cret/+x"
        );
        assert_eq!(p.credentials.session_token(), None);
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        let o = parse_profile(FILE, "other").unwrap();
        assert_eq!(o.credentials.access_key_id(), "AKIAOTHER");
        assert_eq!(o.credentials.session_token(), Some("tok"));
        assert_eq!(o.region, None);
    }

    #[test]
    fn missing_profile_or_keys_are_errors() {
        assert!(
            parse_profile(FILE, "nope")
                .unwrap_err()
                .to_string()
                .contains("no [nope]")
        );
        assert!(parse_profile("[default]\naws_access_key_id = A\n", "default").is_err());
        assert!(parse_profile("", "default").is_err());
    }
}
