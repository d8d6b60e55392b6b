//! The decision policy: a sequential test over calibrated evidence from any modality.
//!
//! Owns: the suspicion statistic (a one-sided CUSUM, Page 1954), the trust state with
//! hysteresis, the grace period after unlock, and re-verification after idle gaps or device
//! changes.
//!
//! Invariants:
//! - the lock level is derived from the configured expected false-lock rate through the
//!   CUSUM average run length (Siegmund's approximation) for the owner's evidence summing
//!   like N(0, `evidence_sd`²) increments; no raw score threshold is configured anywhere;
//! - evidence from any modality ([`Evidence`]) is on the same calibrated scale (≈ N(0,1) for
//!   the owner), so keyboard and (later) mouse fuse by simply adding into one statistic;
//! - during grace nothing accumulates; after a lock nothing is scored until `unlock`;
//! - time comes only from evidence stamps.

use crate::engine::EngineParams;
use serde::Serialize;

/// Where evidence came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Keystroke timing.
    Keyboard,
    /// Pointer dynamics (a later issue).
    Mouse,
}

/// One piece of calibrated evidence: ≈ N(0,1) on the owner's behaviour, larger = less like
/// the owner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    /// Stamp of the action that produced it (µs, kernel clock).
    pub t_us: i64,
    /// Its source.
    pub modality: Modality,
    /// Calibrated value.
    pub value: f64,
}

/// Trust as reported to the rest of the daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustState {
    /// The profile is still learning; nothing is decided.
    Training,
    /// Just unlocked or started: not scored yet.
    Grace,
    /// Typing matches the owner.
    Trusted,
    /// Suspicion is high (hysteresis between `doubt_enter` and `doubt_leave`).
    Doubt,
    /// The policy decided to lock; nothing is scored until an unlock.
    Locked,
}

/// What one piece of evidence did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// The trust state changed.
    State(TrustState),
    /// Lock now.
    Lock,
}

/// CUSUM average run length under N(−k, 1) increments (Siegmund 1985).
fn arl0(k: f64, h: f64) -> f64 {
    let b = 2.0 * k * (h + 1.166);
    (b.exp() - b - 1.0) / (2.0 * k * k)
}

/// The lock level whose expected false-lock rate is `per_10k` per 10,000 scored actions,
/// for reference value `k`, when the owner's calibrated evidence sums like independent
/// N(0, `sd`²) increments (`sd` = 1 is the nominal calibration; a larger design deviation
/// allows for the serial correlation and day-to-day shifts of real typing).
pub fn lock_level(per_10k: f64, k: f64, sd: f64) -> f64 {
    let target = 10_000.0 / per_10k.max(1e-6);
    let sd = sd.max(0.1);
    let k = (k / sd).max(0.05);
    let (mut lo, mut hi) = (0.0_f64, 1000.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if arl0(k, mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi * sd
}

/// The sequential decision state.
#[derive(Clone, Debug)]
pub struct Policy {
    h: f64,
    k: f64,
    s: f64,
    state: TrustState,
    grace_left: u32,
    grace_until_us: i64,
    backoffs: u32,
    p: EngineParams,
}

/// Probable false locks that each make a user's policy stricter.
pub const MAX_BACKOFFS: u32 = 4;

impl Policy {
    /// A policy at the operating point in `p`, starting in grace.
    pub fn new(p: &EngineParams) -> Self {
        Self {
            h: lock_level(p.target_false_locks_per_10k, p.cusum_drift, p.evidence_sd),
            k: p.cusum_drift,
            s: 0.0,
            state: TrustState::Grace,
            grace_left: p.grace_keystrokes,
            grace_until_us: i64::MIN,
            backoffs: 0,
            p: p.clone(),
        }
    }

    /// The same policy while the profile is still enrolling: it decides nothing.
    pub fn training(mut self) -> Self {
        self.state = TrustState::Training;
        self
    }

    /// The derived lock level (for status output).
    pub fn lock_level(&self) -> f64 {
        self.h
    }

    /// Suspicion as a fraction of the lock level (0 = fully trusted).
    pub fn level(&self) -> f64 {
        self.s / self.h
    }

    /// Trust in percent, for display.
    pub fn trust(&self) -> f64 {
        (100.0 * (1.0 - self.level())).clamp(0.0, 100.0)
    }

    /// Current state.
    pub fn state(&self) -> TrustState {
        self.state
    }

    /// The owner authenticated (unlock or session start at `t_us`): clear suspicion and
    /// start the grace period.
    pub fn unlock(&mut self, t_us: i64) {
        self.s = 0.0;
        self.state = TrustState::Grace;
        self.grace_left = self.p.grace_keystrokes;
        self.grace_until_us = t_us.saturating_add((self.p.grace_s * 1e6) as i64);
    }

    /// Another person is likelier now (long idle, device change or re-add; F14): raise
    /// suspicion so a short stretch of typing must re-verify the owner.
    pub fn reverify(&mut self) {
        if self.state != TrustState::Locked {
            self.s = self.s.max(self.p.reverify_level * self.h);
        }
    }

    /// Feeds one piece of evidence.
    pub fn observe(&mut self, e: &Evidence) -> Option<Verdict> {
        match self.state {
            TrustState::Locked | TrustState::Training => return None,
            TrustState::Grace => {
                self.grace_left = self.grace_left.saturating_sub(1);
                if self.grace_left > 0 || e.t_us < self.grace_until_us {
                    return None;
                }
                return self.set(TrustState::Trusted);
            }
            TrustState::Trusted | TrustState::Doubt => {}
        }
        let v = if e.value.is_finite() { e.value } else { 0.0 };
        self.s = (self.s + v - self.k).max(0.0);
        let level = self.level();
        if level >= 1.0 {
            self.state = TrustState::Locked;
            return Some(Verdict::Lock);
        }
        match self.state {
            TrustState::Trusted if level >= self.p.doubt_enter => self.set(TrustState::Doubt),
            TrustState::Doubt if level < self.p.doubt_leave => self.set(TrustState::Trusted),
            _ => None,
        }
    }

    /// Forces a lock (e.g. injected typing).
    pub fn force_lock(&mut self) {
        self.state = TrustState::Locked;
    }

    /// The owner undid a lock at once (a probable false lock, issue 5): halve the expected
    /// false-lock rate for this user, so more evidence is needed before the next lock. At
    /// most [`MAX_BACKOFFS`] halvings; the count lives as long as the daemon runs.
    pub fn back_off(&mut self) {
        self.backoffs = (self.backoffs + 1).min(MAX_BACKOFFS);
        let per_10k = self.p.target_false_locks_per_10k / f64::from(1u32 << self.backoffs);
        self.h = lock_level(per_10k, self.k, self.p.evidence_sd);
    }

    fn set(&mut self, s: TrustState) -> Option<Verdict> {
        self.state = s;
        Some(Verdict::State(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, v: f64) -> Evidence {
        Evidence {
            t_us: t,
            modality: Modality::Keyboard,
            value: v,
        }
    }

    #[test]
    fn lock_level_grows_as_the_false_lock_rate_shrinks() {
        let a = lock_level(10.0, 0.5, 1.0);
        let b = lock_level(0.2, 0.5, 1.0);
        assert!(a < b, "{a} {b}");
        assert!((arl0(0.5, b) - 50_000.0).abs() / 50_000.0 < 1e-3);
        // A design deviation σ scales the problem: the level for (k, σ) is σ times the
        // level for (k/σ, 1).
        let c = lock_level(0.2, 0.5, 2.0);
        assert!((c - 2.0 * lock_level(0.2, 0.25, 1.0)).abs() < 1e-9);
        assert!(c > b);
    }

    #[test]
    fn grace_then_trusted_then_doubt_with_hysteresis_then_lock() {
        let p = EngineParams {
            grace_keystrokes: 3,
            grace_s: 1.0,
            ..EngineParams::default()
        };
        let mut pol = Policy::new(&p);
        pol.unlock(0);
        assert_eq!(pol.observe(&ev(10, 50.0)), None, "grace ignores evidence");
        assert_eq!(pol.observe(&ev(20, 50.0)), None);
        assert_eq!(pol.observe(&ev(30, 50.0)), None, "3 keystrokes but < 1 s");
        assert_eq!(
            pol.observe(&ev(1_000_001, 50.0)),
            Some(Verdict::State(TrustState::Trusted))
        );
        let h = pol.lock_level();
        // Push to 60 % of the level: doubt.
        let mut t = 2_000_000;
        let mut got = None;
        while got.is_none() {
            t += 1;
            got = pol.observe(&ev(t, 1.0 + p.cusum_drift));
        }
        assert_eq!(got, Some(Verdict::State(TrustState::Doubt)));
        assert!(pol.level() >= 0.5 && pol.level() < 0.5 + 1.0 / h);
        // Falling to 40 % keeps doubt (hysteresis); below 25 % returns to trusted.
        pol.observe(&ev(t + 1, p.cusum_drift - 0.1 * h));
        assert_eq!(pol.state(), TrustState::Doubt);
        assert_eq!(
            pol.observe(&ev(t + 2, p.cusum_drift - 0.3 * h)),
            Some(Verdict::State(TrustState::Trusted))
        );
        assert_eq!(
            pol.observe(&ev(t + 3, h + p.cusum_drift)),
            Some(Verdict::Lock)
        );
        assert_eq!(pol.observe(&ev(t + 4, -100.0)), None, "locked until unlock");
        assert_eq!(pol.state(), TrustState::Locked);
    }

    #[test]
    fn reverify_raises_suspicion_and_owner_typing_clears_it() {
        let p = EngineParams {
            grace_keystrokes: 0,
            grace_s: 0.0,
            ..EngineParams::default()
        };
        let mut pol = Policy::new(&p);
        pol.unlock(0);
        pol.observe(&ev(1, 0.0));
        pol.reverify();
        assert!((pol.level() - p.reverify_level).abs() < 1e-9);
        for i in 0..200 {
            pol.observe(&ev(2 + i, 0.0));
        }
        assert_eq!(pol.level(), 0.0);
    }
}
