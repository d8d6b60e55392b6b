//! The only values an audit event can carry besides numbers: validated names and closed
//! enums.
//!
//! Invariant (privacy, brief rule 1): no field type here can hold what was typed. There is
//! no free-form string; names are checked against narrow character sets at construction
//! (or, for device names the kernel reports, stripped of control characters and bounded),
//! and everything else is an enum with fixed tokens. Key codes and slots have no
//! conversion into any of these types.

use std::fmt;

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Empty or longer than the type allows.
    #[error("length {0} out of range")]
    Length(usize),
    /// A character outside the type's set.
    #[error("character not allowed")]
    Character,
}

fn check(s: &str, max: usize, ok: impl Fn(char) -> bool) -> Result<String, FieldError> {
    if s.is_empty() || s.len() > max {
        return Err(FieldError::Length(s.len()));
    }
    if !s.chars().all(ok) {
        return Err(FieldError::Character);
    }
    Ok(s.to_owned())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $ok:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validate a name (see the type's documentation for the accepted set).
            pub fn new(s: &str) -> Result<$name, FieldError> {
                check(s, $max, $ok).map($name)
            }

            /// `s` if it validates, else the fixed placeholder `invalid`, for a field that
            /// must be present (the record then says the value was unfit for the journal).
            pub fn or_invalid(s: &str) -> $name {
                Self::new(s).unwrap_or_else(|_| $name(String::from("invalid")))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A login name: letters, digits and `._-@$\`, at most 128 bytes (covers POSIX names and
    /// SSSD/winbind `user@domain`, `DOMAIN\user`).
    UserName,
    128,
    |c: char| c.is_alphanumeric() || "._-@$\\".contains(c)
);
name_type!(
    /// A logind session or seat id (`2`, `c1`, `seat0`): ASCII letters, digits, `_-`.
    SessionId,
    64,
    |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-'
);
name_type!(
    /// A fixed vocabulary word such as a device class or a configuration key:
    /// ASCII letters, digits and `_.-`, at most 64 bytes.
    Token,
    64,
    |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c)
);

/// A seat id uses the same syntax as a session id.
pub type SeatId = SessionId;

/// A device name as the kernel reports it (the device chooses it, so it is untrusted):
/// control characters become `?`, and it is cut to 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceName(String);

impl DeviceName {
    /// Sanitize a reported device name. Never fails: a hostile name still gets audited.
    pub fn sanitized(raw: &str) -> DeviceName {
        let mut out = String::new();
        for c in raw.chars().map(|c| if c.is_control() { '?' } else { c }) {
            if out.len() + c.len_utf8() > 128 {
                break;
            }
            out.push(c);
        }
        DeviceName(out)
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The person concerned: the session's uid and, when resolvable, the user name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// uid of the session owner.
    pub uid: u32,
    /// Login name, if it resolved and validated.
    pub user: Option<UserName>,
}

/// A logind session on a seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    /// logind session id.
    pub id: SessionId,
    /// Its seat, when it has one.
    pub seat: Option<SeatId>,
}

macro_rules! token_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $token:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The fixed token written to the journal.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $token),+
                }
            }
        }
    };
}

token_enum!(
    /// The daemon's operating mode (config key `mode`).
    Mode { /** Lock on impostors. */ Enforce = "enforce", /** Audit only. */ Monitor = "monitor" }
);
token_enum!(
    /// Why the daemon stops.
    StopReason {
        /** SIGTERM/SIGINT (systemd stop). */ Signal = "signal",
        /** `--replay` reached the end of its traces. */ ReplayFinished = "replay_finished",
        /** A fatal error. */ Error = "error",
    }
);
token_enum!(
    /// What runs when a lock is not confirmed.
    EscalationAction {
        /** Only audit (the default). */ LogOnly = "log_only",
        /** A configured command. */ Command = "command",
        /** Activate another session. */ ActivateSession = "activate_session",
        /** Terminate the session. */ TerminateSession = "terminate_session",
    }
);
token_enum!(
    /// How an escalation ended.
    Outcome { /** It ran. */ Done = "done", /** It failed. */ Failed = "failed" }
);
token_enum!(
    /// Why an input device is not used.
    IgnoreReason {
        /** No key capabilities of a keyboard. */ NotKeyboard = "not_keyboard",
        /** Excluded by configuration. */ Excluded = "excluded",
        /** Open or read refused. */ Unreadable = "unreadable",
        /** Attached to a seat without a local session. */ NoLocalSeat = "no_local_seat",
    }
);
token_enum!(
    /// An administrative or self-service action (issue 6).
    AdminAction {
        /** List profiles. */ ListProfiles = "list_profiles",
        /** Show one profile's summary. */ ShowProfile = "show_profile",
        /** Reset a profile to training. */ ResetProfile = "reset_profile",
        /** Delete a profile. */ DeleteProfile = "delete_profile",
        /** Pause verification. */ Pause = "pause",
        /** Resume verification. */ Resume = "resume",
        /** Reload configuration. */ ReloadConfig = "reload_config",
        /** Change the mode. */ SetMode = "set_mode",
        /** Read live trust or scores. */ ReadTrust = "read_trust",
    }
);
token_enum!(
    /// Whether an action was authorized.
    Decision { /** polkit allowed it. */ Allowed = "allowed", /** polkit denied it. */ Denied = "denied" }
);
token_enum!(
    /// Why protection is degraded (issue 5).
    DegradedReason {
        /** The profile is still in training. */ InTraining = "in_training",
        /** An admin paused verification. */ Paused = "paused",
        /** No keyboard can be read. */ NoReadableKeyboard = "no_readable_keyboard",
        /** logind does not answer: sessions cannot be locked. */ LogindUnreachable = "logind_unreachable",
        /** Profiles are on tmpfs/ramfs and vanish at reboot. */ StateNotPersistent = "state_not_persistent",
        /** The session is not known to have a locker (F33): a text console, or a lock of it
            went unconfirmed. */ NoLockListener = "no_lock_listener",
    }
);
token_enum!(
    /// Why a lock was not confirmed (F33, F34).
    LockFailure {
        /** logind accepted `LockSession`, but no evidence of a lock came in time. */ NoConfirmation = "no_confirmation",
        /** logind answered `LockSession` with an error (e.g. access denied). */ Refused = "refused",
        /** `LockSession` got no reply within `dbus_timeout_ms`. */ NoReply = "no_reply",
        /** The bus or logind could not be reached, so nothing was requested. */ Unreachable = "unreachable",
    }
);
token_enum!(
    /// What confirmed a lock.
    LockEvidence {
        /** `LockedHint` became true: a locker acted. */ LockedHint = "locked_hint",
        /** The seat switched to another session (e.g. the greeter). */ SessionSwitched = "session_switched",
        /** logind removed the session. */ SessionGone = "session_gone",
    }
);
token_enum!(
    /// Why a profile save failed.
    SaveFailure {
        /** Creating the temp file. */ CreateTemp = "create_temp",
        /** Writing the temp file. */ Write = "write",
        /** fsync of the temp file. */ SyncFile = "sync_file",
        /** Renaming it over the profile. */ Rename = "rename",
        /** fsync of the directory: the new file is in place, its durability unknown. */ SyncDir = "sync_dir",
        /** A newer typewarden wrote the file; it is kept. */ NewerVersion = "newer_version",
        /** The profile exceeds the format's size limit. */ TooLarge = "too_large",
        /** The profile did not serialize. */ Serialize = "serialize",
        /** Another I/O error of the state directory. */ Io = "io",
        /** Still waiting or being written when the daemon had to stop. */ Unfinished = "unfinished",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(UserName::new("alice").is_ok());
        assert!(UserName::new("j.doe@corp.example").is_ok());
        assert!(UserName::new("CORP\\jdoe").is_ok());
        assert_eq!(UserName::new("a b"), Err(FieldError::Character));
        assert_eq!(
            UserName::new("a\nMESSAGE=forged"),
            Err(FieldError::Character)
        );
        assert_eq!(UserName::new(""), Err(FieldError::Length(0)));
        assert!(SessionId::new("c1").is_ok());
        assert_eq!(SessionId::new("1/2"), Err(FieldError::Character));
        assert_eq!(Token::new(&"x".repeat(65)), Err(FieldError::Length(65)));
    }

    #[test]
    fn device_names_are_sanitized_and_bounded() {
        assert_eq!(
            DeviceName::sanitized("AT Translated Set 2 keyboard").to_string(),
            "AT Translated Set 2 keyboard"
        );
        assert_eq!(
            DeviceName::sanitized("evil\nMESSAGE=x").to_string(),
            "evil?MESSAGE=x"
        );
        let long = DeviceName::sanitized(&"é".repeat(100)).to_string();
        assert!(long.len() <= 128 && long.chars().all(|c| c == 'é'));
    }
}
