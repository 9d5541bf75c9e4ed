//! The AWS shared credentials and config files (INI): `[name]` sections in
//! the credentials file, `[default]` and `[profile name]` in the config file,
//! `key = value` lines, `#` and `;` comments, indented sub-settings skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::ConfigError;

/// The largest shared file read, in bytes.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Profiles by name, each a map of settings.
#[derive(Debug, Default)]
pub(crate) struct Profiles(HashMap<String, HashMap<String, String>>);

impl Profiles {
    /// The credentials file at `path`; an absent file has no profiles.
    pub(crate) fn load_credentials(path: Option<PathBuf>) -> Result<Self, ConfigError> {
        Self::load(path, false)
    }

    /// The config file at `path`; an absent file has no profiles.
    pub(crate) fn load_config(path: Option<PathBuf>) -> Result<Self, ConfigError> {
        Self::load(path, true)
    }

    fn load(path: Option<PathBuf>, config: bool) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Profiles::default());
        };
        match read_bounded(&path) {
            Ok(Some(text)) => Ok(Self::parse(&text, config)),
            Ok(None) => Ok(Profiles::default()),
            Err(e) => Err(ConfigError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    pub(crate) fn parse(text: &str, config: bool) -> Self {
        let mut profiles: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut current: Option<String> = None;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let section = section.trim();
                current = if !config || section == "default" {
                    Some(section.to_owned())
                } else {
                    section
                        .strip_prefix("profile")
                        .filter(|rest| rest.starts_with(char::is_whitespace))
                        .map(|rest| rest.trim().to_owned())
                };
                continue;
            }
            // Indented lines are sub-settings of the previous key.
            if raw.starts_with(char::is_whitespace) {
                continue;
            }
            let (Some(profile), Some((key, value))) = (&current, line.split_once('=')) else {
                continue;
            };
            profiles
                .entry(profile.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        Profiles(profiles)
    }

    /// A profile's setting, if present and non-empty.
    pub(crate) fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.0
            .get(profile)?
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The file's text, `None` if it does not exist.
fn read_bounded(path: &Path) -> std::io::Result<Option<String>> {
    use std::io::Read as _;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "larger than 1 MiB",
        ));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_config_sections() {
        let creds = Profiles::parse(
            "[default]\naws_access_key_id = A\n[p2]\nAWS_SECRET_ACCESS_KEY=b\n  nested = 1\n",
            false,
        );
        assert_eq!(creds.get("default", "aws_access_key_id"), Some("A"));
        assert_eq!(creds.get("p2", "aws_secret_access_key"), Some("b"));
        assert_eq!(creds.get("p2", "nested"), None);
        let config = Profiles::parse(
            "[default]\nregion=us-east-1\n[profile p2]\nregion = eu-west-1\n[p3]\nregion=x\n[sso-session s]\nregion=y\n; c\n",
            true,
        );
        assert_eq!(config.get("default", "region"), Some("us-east-1"));
        assert_eq!(config.get("p2", "region"), Some("eu-west-1"));
        assert_eq!(
            config.get("p3", "region"),
            None,
            "config sections need 'profile '"
        );
        assert_eq!(config.get("s", "region"), None);
    }

    #[test]
    fn garbage_and_absent_files_are_harmless() {
        let p = Profiles::parse("=\n[\n]]\nkey without section = 1\n[a]\nnovalue\n", false);
        assert_eq!(p.get("a", "novalue"), None);
        let dir = tempfile::tempdir().unwrap();
        let absent = Profiles::load_credentials(Some(dir.path().join("none"))).unwrap();
        assert_eq!(absent.get("default", "region"), None);
        // A directory is not a readable file: an error naming it.
        let e = Profiles::load_credentials(Some(dir.path().to_owned())).unwrap_err();
        assert!(e.to_string().contains(&dir.path().display().to_string()));
    }
}
