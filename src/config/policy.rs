//! `[policy]`: who is never locked.
//!
//! Exempt users are still tracked and audited (as exempt); they are never locked, and the
//! daemon need not score them at all. Names, not uids: a uid can be reused by another
//! account, and `0` would be ambiguous between "root" and a typo. Resolving names (NSS) and
//! group membership is the daemon's job, at the time it decides.

use super::section::{KeyError, Section};
use serde::{Deserialize, Serialize};

/// Effective `[policy]` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// User names never locked (default: none).
    pub exempt_users: Vec<String>,
    /// Group names whose members are never locked (default: none).
    pub exempt_groups: Vec<String>,
}

/// Longest name accepted (systemd's limit for user and group names).
const MAX_NAME: usize = 256;

/// Why `name` cannot be a user or group name, if it cannot. Mirrors systemd's relaxed rules
/// (`valid_user_group_name`), which accept what `useradd` and directory services produce.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Some("must be 1 to 256 bytes long");
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ':' || c == '/')
    {
        return Some("must not contain whitespace, control characters, `:` or `/`");
    }
    if name.starts_with('-') || name == "." || name == ".." {
        return Some("must not start with `-` or be `.` or `..`");
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Some("is all digits: write the name, not the numeric id");
    }
    None
}

fn check(key: &str, names: &[String]) -> Result<(), KeyError> {
    for name in names {
        if let Some(why) = bad_name(name) {
            return Err(KeyError {
                key: key.to_string(),
                what: format!("{name:?} {why}"),
            });
        }
    }
    Ok(())
}

impl Section for PolicyConfig {
    fn check_keys(&self) -> Result<(), KeyError> {
        check("exempt_users", &self.exempt_users)?;
        check("exempt_groups", &self.exempt_groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_relaxed_rules() {
        for ok in ["alice", "kiosk-1", "AD.user@corp", "_svc", "a$"] {
            assert_eq!(bad_name(ok), None, "{ok}");
        }
        for bad in ["", "0", "1000", "a b", "a:b", "a/b", "-x", "..", "a\u{7}"] {
            assert!(bad_name(bad).is_some(), "{bad:?}");
        }
        assert!(bad_name(&"a".repeat(257)).is_some());
    }
}
