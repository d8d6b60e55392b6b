//! Turning what the daemon holds into the API's dictionaries (pure): a profile's summary
//! (typing and pointer maturity, coverage, a timing summary in milliseconds, file facts)
//! and a session's view.
//!
//! Invariant: the timing summary is three global statistics (hold, press-to-press,
//! release-to-press), converted back from the engine's transformed units; no per-key or
//! per-pair value, and so nothing about which keys were typed, leaves this module. Of the
//! pointer profile only counts leave it (actions learned, kinds ready).

use super::brain::SessionSnapshot;
use crate::engine::pointer::{PointerParams, PointerProfile};
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
    /// The keystroke and pointer profiles (from memory, else from the file), when readable.
    pub profile: Option<(&'a Profile, &'a PointerProfile)>,
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
pub fn profile_view(
    f: &ProfileFacts<'_>,
    params: &EngineParams,
    pointer_params: &PointerParams,
) -> ProfileView {
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
    let Some((p, pointer)) = f.profile else {
        return v;
    };
    let m = p.maturity();
    let pm = pointer.maturity(pointer_params);
    // As `Engine::deciding`: either mature profile protects the session (the pointer's
    // only while pointers are read, `[pointer] enabled`).
    if f.state_override.is_none() && (m.mature || (pm.mature && pointer_params.enabled)) {
        v.state = "protecting".into();
    }
    let need = u64::from(pointer_params.min_enroll_actions.max(1));
    v.pointer_enrollment_percent = Some(if pm.mature {
        100
    } else {
        u32::try_from((pm.actions * 100 / need).min(99)).unwrap_or(99)
    });
    v.pointer_actions = Some(pm.actions);
    v.pointer_kinds_ready = Some(pm.kinds_ready);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        id: &'a Identity,
        path: &'a Path,
        p: (&'a Profile, &'a PointerProfile),
    ) -> ProfileFacts<'a> {
        ProfileFacts {
            id,
            user: None,
            profile: Some(p),
            state_override: None,
            path,
            file: None,
            quarantined: 0,
            loaded: true,
            unsaved: false,
        }
    }

    #[test]
    fn a_mature_pointer_profile_alone_is_protecting() {
        let (id, path) = (Identity::Uid(1000), Path::new("/var/lib/typewarden/x"));
        let (ep, pp) = (EngineParams::default(), PointerParams::default());
        let keys = Profile::new();
        let mut pointer = PointerProfile::new();
        let v = profile_view(&facts(&id, path, (&keys, &pointer)), &ep, &pp);
        assert_eq!(v.state, "training");
        assert_eq!(v.pointer_enrollment_percent, Some(0));
        pointer.actions = u64::from(pp.min_enroll_actions) / 2;
        let v = profile_view(&facts(&id, path, (&keys, &pointer)), &ep, &pp);
        assert_eq!(
            (v.state.as_str(), v.pointer_enrollment_percent),
            ("training", Some(50))
        );
        pointer.mature = true;
        let v = profile_view(&facts(&id, path, (&keys, &pointer)), &ep, &pp);
        assert_eq!(v.state, "protecting");
        assert_eq!(v.pointer_enrollment_percent, Some(100));
        assert_eq!(v.enrollment_percent, Some(0), "typing is still enrolling");
        // Pointers not read: the pointer profile protects no one.
        let off = PointerParams {
            enabled: false,
            ..PointerParams::default()
        };
        let v = profile_view(&facts(&id, path, (&keys, &pointer)), &ep, &off);
        assert_eq!(v.state, "training");
    }
}
