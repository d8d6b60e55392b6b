//! Who a profile belongs to, and the one place that turns an identity into a file name.
//!
//! Invariant: a file name is always *derived* (`uid-<decimal>.profile` or
//! `id-<lowercase hex of the UTF-8 name>.profile`), never taken from the identity verbatim,
//! so a configured kiosk identity such as `../../etc/shadow` can only ever name a file inside
//! the state directory. The mapping is a bijection, which lets [`Identity::from_file_name`]
//! list the store without a side index.

use std::fmt;

/// Longest accepted named identity, in bytes. Hex doubles it: `id-` + 200 + `.profile`
/// plus the temp (`.` … `.tmp.<pid>.<n>`) or quarantine (`.quarantined.<unix-time>`)
/// decorations stay well below NAME_MAX (255).
pub const MAX_NAME_BYTES: usize = 100;

const SUFFIX: &str = ".profile";

/// The person a profile belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    /// A logind uid (the default identity source).
    Uid(u32),
    /// A configured identity for kiosk images where one account is shared; build it with
    /// [`Identity::named`].
    Named(String),
}

/// Why a named identity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Empty name.
    #[error("identity name is empty")]
    Empty,
    /// Longer than [`MAX_NAME_BYTES`].
    #[error("identity name is {0} bytes long (at most {MAX_NAME_BYTES})")]
    TooLong(usize),
    /// Control characters (newlines would forge audit lines; NUL cannot be a path byte).
    #[error("identity name contains a control character")]
    ControlCharacter,
}

impl Identity {
    /// A configured identity name: 1..=[`MAX_NAME_BYTES`] bytes, no control characters.
    pub fn named(name: &str) -> Result<Identity, IdentityError> {
        if name.is_empty() {
            return Err(IdentityError::Empty);
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(IdentityError::TooLong(name.len()));
        }
        if name.chars().any(char::is_control) {
            return Err(IdentityError::ControlCharacter);
        }
        Ok(Identity::Named(name.to_owned()))
    }

    /// The file name of this identity's profile (no directory part).
    pub fn file_name(&self) -> String {
        match self {
            Identity::Uid(uid) => format!("uid-{uid}{SUFFIX}"),
            Identity::Named(name) => {
                let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
                format!("id-{hex}{SUFFIX}")
            }
        }
    }

    /// Inverse of [`Identity::file_name`]; `None` for any other name (temp files, quarantined
    /// files, strangers), including non-canonical spellings such as `uid-01.profile`.
    pub fn from_file_name(file_name: &str) -> Option<Identity> {
        let stem = file_name.strip_suffix(SUFFIX)?;
        let id = if let Some(digits) = stem.strip_prefix("uid-") {
            Identity::Uid(digits.parse().ok()?)
        } else {
            let hex = stem.strip_prefix("id-")?;
            if hex.len() % 2 != 0 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return None;
            }
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                .collect();
            Identity::named(&String::from_utf8(bytes?).ok()?).ok()?
        };
        (id.file_name() == file_name).then_some(id)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Uid(uid) => write!(f, "uid:{uid}"),
            Identity::Named(name) => write!(f, "id:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_derived_and_reversible() {
        let cases = [
            Identity::Uid(0),
            Identity::Uid(1000),
            Identity::Uid(u32::MAX),
            Identity::named("../../etc/shadow").unwrap(),
            Identity::named("Jörg Müller").unwrap(),
        ];
        for id in cases {
            let name = id.file_name();
            assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
            assert!(name.len() <= 255 - 40);
            assert_eq!(Identity::from_file_name(&name), Some(id));
        }
        assert_eq!(Identity::Uid(1000).file_name(), "uid-1000.profile");
        assert_eq!(
            Identity::named("ab").unwrap().file_name(),
            "id-6162.profile"
        );
    }

    #[test]
    fn foreign_and_non_canonical_names_are_not_identities() {
        for name in [
            "uid-01.profile",
            "uid-+1.profile",
            "uid-1000.profile.quarantined.17",
            ".uid-1000.profile.tmp.1.0",
            "id-6.profile",
            "id-6G.profile",
            "id-0a.profile",
            "id-.profile",
            "id-6162.PROFILE",
            "passwd",
        ] {
            assert_eq!(Identity::from_file_name(name), None, "{name}");
        }
    }

    #[test]
    fn named_identities_are_bounded() {
        assert_eq!(Identity::named(""), Err(IdentityError::Empty));
        assert_eq!(
            Identity::named("a\nb"),
            Err(IdentityError::ControlCharacter)
        );
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(
            Identity::named(&long),
            Err(IdentityError::TooLong(MAX_NAME_BYTES + 1))
        );
        let longest = Identity::named(&"é".repeat(MAX_NAME_BYTES / 2)).unwrap();
        assert!(longest.file_name().len() + ".quarantined.18446744073709551615.99".len() < 255);
    }
}
