//! The decision loop's pure view of the seats, fed with [`SessionEvent`]s and an injected
//! monotonic clock (milliseconds).
//!
//! Invariants:
//! - a seat's session is replaced only by an `Active`/`NoActiveSession` event for that seat,
//!   and its lock state only by `LockedHint` (`LockVia::Hint`) events for that very session;
//! - after a switch of the active session, a resume, or logind coming back, scoring pauses
//!   for `settle_ms` (F39: active session and current user are briefly inconsistent during a
//!   switch; F17: devices re-enumerate for 0.5–2 s after resume);
//! - while asleep or while logind cannot be followed, nothing is scored.
//!
//! A `Lock` *signal* alone does not pause scoring: logind sends it whether or not a locker
//! listens (F33), so pausing on it would let an impostor type unscored at an unlocked screen.

use super::model::{scoring_allowed, Gate, PauseReason, SessionInfo};
use super::{LockVia, SessionEvent};
use std::collections::HashMap;

/// The active session of every seat seen so far, plus sleep and logind state.
#[derive(Debug, Default)]
pub struct SeatGate {
    settle_ms: u64,
    seats: HashMap<String, SeatView>,
    sleeping: bool,
    logind_lost: bool,
    /// Settle deadline for all seats (resume, logind back).
    settle_all_until: u64,
}

#[derive(Debug, Default)]
struct SeatView {
    session: Option<SessionInfo>,
    settle_until: u64,
}

/// Returned by [`SeatGate::apply`] when a seat's foreground session changed: the decision
/// loop swaps profiles (two users' typing never mixes) and resets trust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatSwitch {
    /// The seat whose active session changed.
    pub seat: String,
    /// The previous session id, if any.
    pub from: Option<String>,
    /// The new session id, if any.
    pub to: Option<String>,
}

impl SeatGate {
    /// A gate that pauses for `settle_ms` after every switch.
    pub fn new(settle_ms: u64) -> Self {
        Self {
            settle_ms,
            ..Self::default()
        }
    }

    /// A new settle window (configuration reload); settling already under way keeps its end.
    pub fn set_settle_ms(&mut self, settle_ms: u64) {
        self.settle_ms = settle_ms;
    }

    /// Applies one tracker event observed at `now_ms`.
    pub fn apply(&mut self, event: &SessionEvent, now_ms: u64) -> Option<SeatSwitch> {
        let settle = now_ms.saturating_add(self.settle_ms);
        match event {
            SessionEvent::Active(info) => self.set(&info.seat, Some(info.clone()), settle),
            SessionEvent::NoActiveSession { seat } => self.set(seat, None, settle),
            SessionEvent::Locked {
                session,
                via: LockVia::Hint,
                ..
            } => {
                self.set_locked(session, true);
                None
            }
            SessionEvent::Unlocked {
                session,
                via: LockVia::Hint,
                ..
            } => {
                self.set_locked(session, false);
                None
            }
            SessionEvent::Locked { .. } | SessionEvent::Unlocked { .. } => None,
            SessionEvent::Sleep(start) => {
                self.sleeping = *start;
                if !start {
                    self.settle_all_until = settle;
                }
                None
            }
            SessionEvent::LogindLost { .. } => {
                self.logind_lost = true;
                None
            }
            SessionEvent::LogindBack => {
                self.logind_lost = false;
                self.settle_all_until = settle;
                None
            }
        }
    }

    /// The active session on `seat`, i.e. the only valid lock target for a device on that
    /// seat (F37).
    pub fn active(&self, seat: &str) -> Option<&SessionInfo> {
        self.seats.get(seat).and_then(|s| s.session.as_ref())
    }

    /// Every seat's active session.
    pub fn sessions(&self) -> impl Iterator<Item = &SessionInfo> {
        self.seats.values().filter_map(|s| s.session.as_ref())
    }

    /// Whether keystrokes from a device on `device_seat` may be scored at `now_ms`.
    pub fn gate(&self, device_seat: &str, now_ms: u64) -> Gate {
        if self.logind_lost {
            return Gate::Paused(PauseReason::LogindUnreachable);
        }
        if self.sleeping {
            return Gate::Paused(PauseReason::Sleeping);
        }
        let Some(view) = self.seats.get(device_seat) else {
            return Gate::Paused(PauseReason::NoSession);
        };
        let Some(info) = &view.session else {
            return Gate::Paused(PauseReason::NoSession);
        };
        match scoring_allowed(info, device_seat) {
            Gate::Allowed if now_ms < view.settle_until.max(self.settle_all_until) => {
                Gate::Paused(PauseReason::Settling)
            }
            gate => gate,
        }
    }

    fn set(&mut self, seat: &str, session: Option<SessionInfo>, settle: u64) -> Option<SeatSwitch> {
        let view = self.seats.entry(seat.to_string()).or_default();
        let from = view.session.as_ref().map(|s| s.id.clone());
        let to = session.as_ref().map(|s| s.id.clone());
        view.session = session;
        if from == to {
            return None;
        }
        view.settle_until = settle;
        Some(SeatSwitch {
            seat: seat.to_string(),
            from,
            to,
        })
    }

    fn set_locked(&mut self, session: &str, locked: bool) {
        for view in self.seats.values_mut() {
            if let Some(info) = view.session.as_mut().filter(|i| i.id == session) {
                info.locked = locked;
            }
        }
    }
}

/// Whether an unlock `unlocked_at_ms` after a lock confirmed at `locked_at_ms` is a probable
/// false lock: the legitimate user was locked out and came straight back. The policy backs
/// off for that user; both times are on the same monotonic clock.
pub fn is_probable_false_lock(locked_at_ms: u64, unlocked_at_ms: u64, window_ms: u64) -> bool {
    unlocked_at_ms >= locked_at_ms && unlocked_at_ms - locked_at_ms <= window_ms
}

/// Remembers typewarden's own confirmed locks per session so that the matching unlock can be
/// classified with [`is_probable_false_lock`]. Unlocks of locks typewarden did not cause are
/// never false locks.
#[derive(Debug, Default)]
pub struct FalseLockDetector {
    window_ms: u64,
    locked_at: HashMap<String, u64>,
}

impl FalseLockDetector {
    /// A detector with the configured window.
    pub fn new(window_ms: u64) -> Self {
        Self {
            window_ms,
            locked_at: HashMap::new(),
        }
    }

    /// A new window (configuration reload); locks already recorded keep their time.
    pub fn set_window_ms(&mut self, window_ms: u64) {
        self.window_ms = window_ms;
    }

    /// Records that typewarden's lock of `session` was confirmed at `now_ms`.
    pub fn locked(&mut self, session: &str, now_ms: u64) {
        self.locked_at.insert(session.to_string(), now_ms);
    }

    /// Records an unlock of `session`; returns the time it stayed locked (ms) when this is a
    /// probable false lock.
    pub fn unlocked(&mut self, session: &str, now_ms: u64) -> Option<u64> {
        let at = self.locked_at.remove(session)?;
        is_probable_false_lock(at, now_ms, self.window_ms).then(|| now_ms - at)
    }

    /// Forgets a session that ended.
    pub fn forget(&mut self, session: &str) {
        self.locked_at.remove(session);
    }
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
