//! Turning what the daemon holds into the API's dictionaries (pure): a profile's summary
//! (maturity, coverage, a timing summary in milliseconds, file facts) and a session's view.
//!
//! Invariant: the timing summary is three global statistics (hold, press-to-press,
//! release-to-press), converted back from the engine's transformed units; no per-key or
//! per-pair value, and so nothing about which keys were typed, leaves this module.

use super::brain::SessionSnapshot;
use crate::engine::wire::{FeatRow, ProfileFile};
use crate::engine::{EngineParams, Profile};
use crate::ipc::types::{ProfileView, SessionView};
use crate::store::{FileFacts, Identity};
use std::path::Path;

/// What is known about one profile, gathered by the shell.
pub struct ProfileFacts<'a> {
    /// Whose.
    pub id: &'a Identity,
    /// The login name of a uid profile.
    pub user: Option<String>,
    /// The profile (from memory, else from the file), when readable.
    pub profile: Option<&'a Profile>,
    /// `None`: `profile` decides (`training`/`protecting`); else this state token.
    pub state_override: Option<&'static str>,
    /// The file's path.
    pub path: &'a Path,
    /// Size and time, if the file exists.
    pub file: Option<FileFacts>,
    /// Quarantined copies.
    pub quarantined: usize,
    /// In memory.
    pub loaded: bool,
    /// Learned since the last save.
    pub unsaved: bool,
}

/// The API view of one profile.
pub fn profile_view(f: &ProfileFacts<'_>, params: &EngineParams) -> ProfileView {
    let mut v = ProfileView {
        profile: f.id.to_string(),
        uid: match f.id {
            Identity::Uid(u) => Some(*u),
            Identity::Named(_) => None,
        },
        user: f.user.clone(),
        state: f.state_override.unwrap_or("training").to_string(),
        file_path: f.path.display().to_string(),
        file_present: f.file.is_some(),
        file_size: f.file.map(|x| x.size),
        file_mtime: f.file.map(|x| x.mtime),
        quarantined_copies: u32::try_from(f.quarantined).unwrap_or(u32::MAX),
        loaded: f.loaded,
        unsaved: f.unsaved,
        ..ProfileView::default()
    };
    let Some(p) = f.profile else {
        return v;
    };
    let m = p.maturity();
    if f.state_override.is_none() && m.mature {
        v.state = "protecting".into();
    }
    let need = u64::from(params.min_enroll_keystrokes.max(1));
    v.enrollment_percent = Some(if m.mature {
        100
    } else {
        u32::try_from((m.keystrokes * 100 / need).min(99)).unwrap_or(99)
    });
    v.keystrokes = Some(m.keystrokes);
    v.coverage = Some(m.coverage);
    let wire = ProfileFile::from(p);
    v.keys_seen = Some(u32::try_from(wire.hold.len()).unwrap_or(u32::MAX));
    v.key_pairs_seen = Some(u32::try_from(wire.digraphs.len()).unwrap_or(u32::MAX));
    // Holds and press-press are ln(ms); release-press is asinh(µs / 25 000) (engine::profile).
    v.hold_ms = spread(&wire.hold_global, f64::exp);
    v.press_press_ms = spread(&wire.dd_ud_global[0], f64::exp);
    v.release_press_ms = spread(&wire.dd_ud_global[1], |x| 25.0 * x.sinh());
    v
}

/// (typical, one sd below, one sd above) in ms, rounded to 0.1 ms; `None` without samples.
fn spread(row: &FeatRow, back: impl Fn(f64) -> f64) -> Option<(f64, f64, f64)> {
    let (n, mean, var) = (f64::from(row[0]), f64::from(row[1]), f64::from(row[2]));
    if n <= 0.0 {
        return None;
    }
    let sd = var.max(0.0).sqrt();
    let r = |x: f64| (back(x) * 10.0).round() / 10.0;
    Some((r(mean), r(mean - sd), r(mean + sd)))
}

/// The API view of a seat's session (Admin only: it carries live trust).
pub fn session_view(s: &SessionSnapshot) -> SessionView {
    let state = if s.exempt {
        "exempt"
    } else if !s.loaded {
        "not_loaded"
    } else if s.mature {
        "protecting"
    } else {
        "training"
    };
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    SessionView {
        seat: s.seat.clone(),
        session: s.session.clone(),
        uid: s.uid,
        user: s.user.clone(),
        profile: s.identity.as_ref().map(ToString::to_string),
        state: state.into(),
        scoring: s.scoring,
        scored_since_unlock: s.scored,
        trust: s.trust.map(|t| round(t.0)),
        suspicion: s.trust.map(|t| round(t.1)),
        lock_level: s.trust.map(|t| round(t.2)),
    }
}
