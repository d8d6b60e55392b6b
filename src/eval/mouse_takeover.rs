//! The `balabit-takeover` protocol: fusion measured where the data allows it, a session
//! taken over by someone who only uses the mouse.
//!
//! Owns: the per-target simulation and its report (`docs/evaluation.md` has the protocol).
//! Every action goes through the engine facade the daemon drives (`Engine::on_pointer`:
//! pointer evidence into the one CUSUM policy, at the shipped operating point); the
//! keystroke profile is in training (Balabit has no typing), so the policy decides on the
//! pointer profile alone, which is exactly a mouse-only session.
//!
//! Per target user: the pointer profile trained on the training files (as `balabit`).
//! Genuine: each of the target's genuine labelled test sessions from a fresh unlock; every
//! lock is a false lock, after which the stream goes on as after an unlock. Takeover: each
//! illegal test session of the target's folder (another user's), preceded by one of the
//! target's genuine test sessions (in turn) and a 60 s pause, with no reset at the
//! handover. A lock before it is a false lock; the first after it is the detection.

use crate::core::pointer::{PointerAction, PointerEvent};
use crate::core::timing::DeviceId;
use crate::engine::pointer::{PointerParams, PointerSource};
use crate::engine::{Decision, Engine, EngineParams, Profile};
use crate::eval::metrics::{mean, median};
use crate::eval::mouse::{train, Prepared};
use crate::eval::par;
use serde::Serialize;

/// Pause at the handover (µs), as in `buffalo-takeover`.
pub const HANDOVER_PAUSE_US: i64 = 60_000_000;

/// The figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TakeoverReport {
    /// Target users.
    pub users: usize,
    /// Takeover trials (illegal test sessions).
    pub takeovers: usize,
    /// Fraction of takeovers locked before the impostor's session ended.
    pub detected: Option<f64>,
    /// Impostor actions up to the lock; an undetected takeover counts as all its actions.
    pub actions_to_lock_median: Option<f64>,
    /// Mean of the same.
    pub actions_to_lock_mean: Option<f64>,
    /// Median impostor actions to the lock over detected takeovers only.
    pub actions_to_lock_median_detected: Option<f64>,
    /// Fraction locked within 10 and 50 impostor actions.
    pub detected_within_10: Option<f64>,
    /// See `detected_within_10`.
    pub detected_within_50: Option<f64>,
    /// Seconds from the impostor's first action to the lock (undetected: the session's
    /// duration).
    pub seconds_to_lock_median: Option<f64>,
    /// Median impostor actions per illegal session (what can be detected at most).
    pub impostor_actions_median: Option<f64>,
    /// Genuine actions fed (genuine sessions and takeover prefixes).
    pub genuine_actions: u64,
    /// Their duration in hours.
    pub genuine_hours: f64,
    /// False locks in genuine streams and prefixes.
    pub false_locks: u64,
    /// Per 10,000 genuine actions.
    pub false_locks_per_10k_actions: Option<f64>,
    /// Per hour of genuine pointer use.
    pub false_locks_per_hour: Option<f64>,
    /// Fraction of target users never falsely locked.
    pub users_never_falsely_locked: Option<f64>,
}

fn shifted(a: &PointerAction, dt: i64) -> PointerAction {
    let mut b = a.clone();
    b.start_us += dt;
    b.end_us += dt;
    b.press_us = b.press_us.map(|t| t + dt);
    b.release_us = b.release_us.map(|t| t + dt);
    for s in b.path.iter_mut().chain(b.ticks.iter_mut()) {
        s.t_us += dt;
    }
    b
}

/// Feeds actions; returns the stamps of the locks, unlocking after each (as the owner would
/// after a false lock).
pub fn feed(e: &mut Engine, acts: &[PointerAction]) -> Vec<i64> {
    let mut locks = Vec::new();
    let mut out = Vec::new();
    for a in acts {
        out.clear();
        let ev = PointerEvent::Action {
            device: DeviceId(1),
            action: Box::new(a.clone()),
        };
        e.on_pointer(&ev, PointerSource::Physical, &mut out);
        for d in &out {
            if let Decision::Lock { t_us, .. } = d {
                locks.push(*t_us);
                e.on_unlock(*t_us);
            }
        }
    }
    locks
}

/// One takeover.
pub struct Trial {
    /// Impostor actions up to and including the one that locked.
    pub lock_after: Option<usize>,
    /// Seconds from the handover to the lock (undetected: the impostor's duration).
    pub secs: f64,
    /// Impostor actions.
    pub len: usize,
    /// Locks before the handover.
    pub prefix_false_locks: usize,
}

/// `prefix` (the owner), a [`HANDOVER_PAUSE_US`] pause, then `imp` (someone else, shifted
/// to follow), into `e` with no reset at the handover.
pub fn takeover(e: &mut Engine, prefix: &[PointerAction], imp: &[PointerAction]) -> Trial {
    let end = prefix.last().map_or(0, |a| a.end_us);
    let handover = end + HANDOVER_PAUSE_US;
    let first = imp.first().map_or(0, |a| a.start_us);
    let imp: Vec<PointerAction> = imp.iter().map(|a| shifted(a, handover - first)).collect();
    e.on_unlock(prefix.first().map_or(0, |a| a.start_us));
    let prefix_false_locks = feed(e, prefix).len();
    let locks = feed(e, &imp);
    let lock_after = locks
        .first()
        .map(|&t| imp.partition_point(|a| a.end_us < t) + 1);
    Trial {
        lock_after,
        secs: locks.first().map_or(span_us(&imp), |&t| t - handover) as f64 / 1e6,
        len: imp.len(),
        prefix_false_locks,
    }
}

struct UserOut {
    genuine_actions: u64,
    genuine_us: i64,
    false_locks: u64,
    trials: Vec<Trial>,
}

fn span_us(acts: &[PointerAction]) -> i64 {
    match (acts.first(), acts.last()) {
        (Some(a), Some(b)) => (b.end_us - a.start_us).max(0),
        _ => 0,
    }
}

/// Runs the protocol for every user.
pub fn evaluate(
    ep: &EngineParams,
    pp: &PointerParams,
    users: &[Prepared],
    threads: usize,
    progress: bool,
) -> TakeoverReport {
    let outs = par::map(users, threads, "balabit-takeover: users", progress, |u| {
        let prof = train(u.train.iter().map(Vec::as_slice), pp);
        let fresh = || Engine::with_profiles(ep.clone(), Profile::new(), pp.clone(), prof.clone());
        let genuine: Vec<&Vec<PointerAction>> =
            u.test.iter().filter(|s| !s.1).map(|s| &s.0).collect();
        let mut o = UserOut {
            genuine_actions: 0,
            genuine_us: 0,
            false_locks: 0,
            trials: Vec::new(),
        };
        for g in &genuine {
            let mut e = fresh();
            e.on_unlock(g.first().map_or(0, |a| a.start_us));
            o.false_locks += feed(&mut e, g).len() as u64;
            o.genuine_actions += g.len() as u64;
            o.genuine_us += span_us(g);
        }
        for (k, (imp, _)) in u.test.iter().filter(|s| s.1).enumerate() {
            let Some(prefix) = genuine.get(k % genuine.len().max(1)) else {
                continue;
            };
            let t = takeover(&mut fresh(), prefix, imp);
            o.false_locks += t.prefix_false_locks as u64;
            o.genuine_actions += prefix.len() as u64;
            o.genuine_us += span_us(prefix);
            o.trials.push(t);
        }
        o
    });
    let trials: Vec<&Trial> = outs.iter().flat_map(|o| &o.trials).collect();
    let n = trials.len().max(1) as f64;
    let to_lock: Vec<f64> = trials
        .iter()
        .map(|t| t.lock_after.unwrap_or(t.len) as f64)
        .collect();
    let detected: Vec<f64> = trials
        .iter()
        .filter_map(|t| t.lock_after.map(|x| x as f64))
        .collect();
    let within = |k: usize| {
        (!trials.is_empty()).then(|| {
            trials
                .iter()
                .filter(|t| t.lock_after.is_some_and(|x| x <= k))
                .count() as f64
                / n
        })
    };
    let genuine_actions: u64 = outs.iter().map(|o| o.genuine_actions).sum();
    let hours = outs.iter().map(|o| o.genuine_us).sum::<i64>() as f64 / 3.6e9;
    let false_locks: u64 = outs.iter().map(|o| o.false_locks).sum();
    TakeoverReport {
        users: outs.len(),
        takeovers: trials.len(),
        detected: (!trials.is_empty()).then(|| detected.len() as f64 / n),
        actions_to_lock_median: median(&to_lock),
        actions_to_lock_mean: mean(&to_lock),
        actions_to_lock_median_detected: median(&detected),
        detected_within_10: within(10),
        detected_within_50: within(50),
        seconds_to_lock_median: median(&trials.iter().map(|t| t.secs).collect::<Vec<_>>()),
        impostor_actions_median: median(&trials.iter().map(|t| t.len as f64).collect::<Vec<_>>()),
        genuine_actions,
        genuine_hours: (hours * 100.0).round() / 100.0,
        false_locks,
        false_locks_per_10k_actions: (genuine_actions > 0)
            .then(|| false_locks as f64 * 1e4 / genuine_actions as f64),
        false_locks_per_hour: (hours > 0.0).then(|| false_locks as f64 / hours),
        users_never_falsely_locked: (!outs.is_empty())
            .then(|| outs.iter().filter(|o| o.false_locks == 0).count() as f64 / outs.len() as f64),
    }
}
