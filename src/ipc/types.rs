//! The dictionaries (`a{sv}`) the API replies with. Keys are snake_case and only ever
//! added, never renamed or retyped, within one [`super::API_VERSION`]; a value that is not
//! known is left out rather than faked. `typewarden … --json` prints these dictionaries as
//! JSON objects (see [`super::client::to_json`]), so the JSON is exactly as stable.
//!
//! Invariant: nothing here can hold key content: counts, durations, fractions, fixed state
//! tokens, names and paths only. Live trust exists only in [`SessionView`], which only the
//! Admin interface returns.

use zbus::zvariant::{DeserializeDict, SerializeDict, Type};

/// `Manager.GetStatus`: what anyone at an active local session may know. Deliberately not
/// here: pauses, degraded states, sessions, trust (they tell an impostor when typing is
/// safe); see docs/threat-model.md.
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "a{sv}")]
pub struct Status {
    /// The daemon's version.
    pub version: String,
    /// [`super::API_VERSION`].
    pub api_version: u32,
    /// `enforce` or `monitor`, as in effect (the configuration file says the same unless an
    /// administrator changed it at run time).
    pub mode: String,
    /// Keyboards being read.
    pub keyboards: u32,
}

/// `Admin.GetStatus`: everything the daemon is doing, live trust included.
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "a{sv}")]
pub struct AdminStatus {
    /// The daemon's version.
    pub version: String,
    /// [`super::API_VERSION`].
    pub api_version: u32,
    /// The mode in effect.
    pub mode: String,
    /// The mode the configuration sets (differs after `SetMode`, until a reload).
    pub configured_mode: String,
    /// Keyboards being read.
    pub keyboards: u32,
    /// Verification is paused.
    pub paused: bool,
    /// Seconds until a pause ends by itself (absent when not paused).
    pub pause_remaining_s: Option<u64>,
    /// Degraded-protection reasons in force, as the audit tokens (`in_training`, `paused`, …).
    pub degraded: Vec<String>,
    /// `sha256:…` of the effective configuration.
    pub config_hash: String,
    /// Profiles held in memory.
    pub profiles_loaded: u32,
    /// The active session of each seat.
    pub sessions: Vec<SessionView>,
}

/// One seat's active session, as the decision loop sees it (Admin only).
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "a{sv}")]
pub struct SessionView {
    /// Seat id.
    pub seat: String,
    /// logind session id.
    pub session: String,
    /// Session owner.
    pub uid: u32,
    /// Session owner's login name.
    pub user: String,
    /// The profile the typing belongs to (`uid:N` or `id:NAME`).
    pub profile: Option<String>,
    /// `training`, `protecting`, `exempt`, `not_loaded` (no profile in memory).
    pub state: String,
    /// Whether keystrokes are scored right now (the session gate: not locked, not asleep, not
    /// paused, not settling after a switch).
    pub scoring: bool,
    /// Keystrokes scored since the last unlock or session start.
    pub scored_since_unlock: u64,
    /// Trust in percent (100 = no suspicion), absent in training.
    pub trust: Option<f64>,
    /// Suspicion as a fraction of the lock level (1 = lock), absent in training.
    pub suspicion: Option<f64>,
    /// The lock level in calibrated score units.
    pub lock_level: Option<f64>,
}

/// A stored profile, as its owner or an administrator sees it: what is kept about the
/// person, never what they typed, never live trust.
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "a{sv}")]
pub struct ProfileView {
    /// `uid:N` or `id:NAME`.
    pub profile: String,
    /// For uid profiles.
    pub uid: Option<u32>,
    /// The login name of a uid profile, when it resolves.
    pub user: Option<String>,
    /// `training` or `protecting` (the typing or the pointer profile decides); `unreadable`
    /// when the file exists but does not verify (it will be quarantined when next loaded);
    /// `newer_version` when a newer typewarden wrote it (kept untouched).
    pub state: String,
    /// Typing enrollment progress in percent (100 once the typing profile decides).
    pub enrollment_percent: Option<u32>,
    /// Keystrokes learned.
    pub keystrokes: Option<u64>,
    /// Fraction of recent key pairs the profile knows (0..1).
    pub coverage: Option<f64>,
    /// Keys with timing statistics.
    pub keys_seen: Option<u32>,
    /// Key pairs with timing statistics.
    pub key_pairs_seen: Option<u32>,
    /// Typical hold time (ms), and the range one standard deviation either side.
    pub hold_ms: Option<(f64, f64, f64)>,
    /// Typical press-to-press time (ms), low, high.
    pub press_press_ms: Option<(f64, f64, f64)>,
    /// Typical release-to-press time (ms; negative under rollover), low, high.
    pub release_press_ms: Option<(f64, f64, f64)>,
    /// Pointer enrollment progress in percent (100 once the pointer profile decides).
    pub pointer_enrollment_percent: Option<u32>,
    /// Pointer actions (movements, clicks, drags, scrolls) learned.
    pub pointer_actions: Option<u64>,
    /// Kinds of pointer action (per surface) that give evidence.
    pub pointer_kinds_ready: Option<u32>,
    /// The profile file.
    pub file_path: String,
    /// Whether the file exists (a new profile is in memory until its first save).
    pub file_present: bool,
    /// Its size in bytes.
    pub file_size: Option<u64>,
    /// Its modification time, seconds since the epoch.
    pub file_mtime: Option<u64>,
    /// Quarantined copies of this profile kept in the state directory.
    pub quarantined_copies: u32,
    /// Held in memory by the daemon.
    pub loaded: bool,
    /// Learned in memory since the last save.
    pub unsaved: bool,
}

/// `Admin.ReloadConfig`.
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "a{sv}")]
pub struct Reloaded {
    /// `sha256:…` of the new effective configuration.
    pub config_hash: String,
    /// Whether anything changed.
    pub changed: bool,
    /// Sections whose change takes effect only after a restart (`input`, `state_dir`,
    /// `session.dbus_timeout_ms`).
    pub restart_needed: Vec<String>,
}
