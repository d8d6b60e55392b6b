//! The `buffalo-takeover` protocol: enroll on session 0, genuine streams from fresh unlocks,
//! and impostor takeovers spliced in with no reset at the handover.
//!
//! Owns: per-user simulation and the per-group report (`docs/evaluation.md` has the
//! protocol in prose). Every figure comes from the daemon's path: key timeline →
//! `RawEvent`s → `Cleaner` → `Engine` (features, score, policy, adaptation, injection).

use crate::core::timing::{DeviceId, TimingEvent};
use crate::engine::wire::ProfileFile;
use crate::engine::{Engine, EngineParams, Keystroke, Profile};
use crate::eval::buffalo::{Group, User};
use crate::eval::metrics::{eer, mean, median, window_means};
use crate::eval::rng::SplitMix64;
use crate::eval::timeline::{clean, concat, evidence, keystrokes, run, KeyRec};
use crate::eval::Split;
use serde::Serialize;
use std::collections::BTreeMap;

/// Window sizes (keystrokes) for the EER figures.
pub const WINDOWS: [usize; 4] = [100, 200, 500, 1000];
/// Enrollment caps (keystrokes of session 0) for `by_enrollment`.
pub const ENROLL_CAPS: [usize; 3] = [500, 1000, 2000];
/// Genuine keystrokes before the handover.
pub const PREFIX: usize = 500;
/// Pause at the handover.
pub const HANDOVER_PAUSE_US: i64 = 60_000_000;
/// Impostors per target.
pub const MAX_IMPOSTORS: usize = 20;

/// Dev split: Buffalo users used for tuning (sessions 0–1 only).
pub fn is_dev(id: u32) -> bool {
    (1..=30).contains(&id) || (76..=105).contains(&id)
}

/// One takeover trial.
#[derive(Clone, Copy, Debug)]
struct Takeover {
    /// Impostor keystrokes until the lock (`None`: never locked).
    keys: Option<usize>,
    secs: Option<f64>,
    len: usize,
    dur_s: f64,
    prefix_false_locks: usize,
}

#[derive(Clone, Debug, Default)]
struct Trial {
    mature: bool,
    genuine_keys: usize,
    false_locks: usize,
    genuine_injections: u32,
    takeovers: Vec<Takeover>,
}

/// Per-user results.
struct UserOut {
    group: Group,
    /// Serialized size of the enrolled profile (bytes of the stored JSON payload).
    profile_bytes: usize,
    full: Trial,
    by_enroll: Vec<Trial>,
    /// Per window size: (genuine window scores, impostor window scores).
    windows: Vec<(Vec<f64>, Vec<f64>)>,
}

struct Prepared<'a> {
    user: &'a User,
    timing: [Vec<TimingEvent>; 3],
    ks: [Vec<Keystroke>; 3],
}

fn first_press(t: &[TimingEvent]) -> i64 {
    t.first().map_or(0, |e| e.t_us)
}

fn enroll(p: &EngineParams, s0: &[KeyRec], cap: Option<usize>) -> Profile {
    let keys = &s0[..cap.unwrap_or(s0.len()).min(s0.len())];
    let timing = clean(keys, DeviceId(1));
    let mut e = Engine::new(p.clone());
    e.on_unlock(first_press(&timing));
    run(&mut e, &timing, true, None);
    e.profile().clone()
}

fn trial(
    p: &EngineParams,
    prof: &Profile,
    me: &Prepared,
    imps: &[&Prepared],
    split: Split,
) -> Trial {
    let mut t = Trial {
        mature: prof.is_mature(),
        ..Trial::default()
    };
    let sessions: &[usize] = if split == Split::Dev { &[1] } else { &[1, 2] };
    for &s in sessions {
        let mut e = Engine::with_profile(p.clone(), prof.clone());
        e.on_unlock(first_press(&me.timing[s]));
        let r = run(&mut e, &me.timing[s], true, None);
        t.genuine_keys += me.user.sessions[s].len();
        t.false_locks += r.locks.len();
        t.genuine_injections += r.injections;
    }
    let prefix = &me.user.sessions[1][..PREFIX.min(me.user.sessions[1].len())];
    for imp in imps {
        let keys = concat(&[prefix, &imp.user.sessions[1]], HANDOVER_PAUSE_US);
        let Some(handover) = keys.get(prefix.len()).map(|k| k.press_us) else {
            continue;
        };
        let imp_press: Vec<i64> = keys[prefix.len()..].iter().map(|k| k.press_us).collect();
        let timing = clean(&keys, DeviceId(1));
        let mut e = Engine::with_profile(p.clone(), prof.clone());
        e.on_unlock(first_press(&timing));
        let r = run(&mut e, &timing, true, Some(handover));
        let detect = r.locks.last().copied().filter(|&l| l >= handover);
        let end = keys.iter().map(|k| k.release_us).max().unwrap_or(handover);
        t.takeovers.push(Takeover {
            keys: detect.map(|l| imp_press.partition_point(|&x| x <= l)),
            secs: detect.map(|l| (l - handover) as f64 / 1e6),
            len: imp_press.len(),
            dur_s: (end - handover) as f64 / 1e6,
            prefix_false_locks: r.locks.iter().filter(|&&l| l < handover).count(),
        });
    }
    t
}

fn run_user(p: &EngineParams, me: &Prepared, all: &[Prepared], split: Split) -> UserOut {
    let mut pool: Vec<&Prepared> = all
        .iter()
        .filter(|o| o.user.group == me.user.group && o.user.id != me.user.id)
        .collect();
    let mut rng = SplitMix64::new(0x7e57_ab1e ^ u64::from(me.user.id));
    rng.shuffle(&mut pool);
    pool.truncate(MAX_IMPOSTORS);
    let prof = enroll(p, &me.user.sessions[0], None);
    let full = trial(p, &prof, me, &pool, split);
    let by_enroll = ENROLL_CAPS
        .iter()
        .map(|&c| {
            trial(
                p,
                &enroll(p, &me.user.sessions[0], Some(c)),
                me,
                &pool,
                split,
            )
        })
        .collect();
    let sessions: &[usize] = if split == Split::Dev { &[1] } else { &[1, 2] };
    let gen: Vec<Vec<f64>> = sessions
        .iter()
        .map(|&s| evidence(&prof, &me.ks[s], p))
        .collect();
    let imp: Vec<Vec<f64>> = pool.iter().map(|o| evidence(&prof, &o.ks[1], p)).collect();
    let windows = WINDOWS
        .iter()
        .map(|&n| {
            (
                gen.iter().flat_map(|g| window_means(g, n)).collect(),
                imp.iter().flat_map(|g| window_means(g, n)).collect(),
            )
        })
        .collect();
    UserOut {
        group: me.user.group,
        profile_bytes: serde_json::to_string(&ProfileFile::from(&prof)).map_or(0, |j| j.len()),
        full,
        by_enroll,
        windows,
    }
}

/// Takeover figures for one group and one enrollment length.
#[derive(Clone, Debug, Serialize)]
pub struct TakeoverFigures {
    /// Median impostor keystrokes until lock (undetected: the whole impostor stream).
    pub ania_median: Option<f64>,
    /// Mean of the same.
    pub ania_mean: Option<f64>,
    /// Takeovers locked within 100 impostor keystrokes.
    pub detected_within_100: Option<f64>,
    /// Takeovers locked within 500 impostor keystrokes.
    pub detected_within_500: Option<f64>,
    /// Takeovers never locked.
    pub undetected: Option<f64>,
    /// Median seconds from handover to lock (undetected: the impostor stream's duration).
    pub seconds_to_lock_median: Option<f64>,
    /// False locks per 10,000 genuine keystrokes (session 1 and 2 streams).
    pub false_locks_per_10k: Option<f64>,
    /// Fraction of users never falsely locked in their genuine streams.
    pub users_never_falsely_locked: Option<f64>,
    /// Takeover trials whose 500 genuine keystrokes before the handover had a false lock.
    pub prefix_false_lock_trials: usize,
    /// Genuine keystrokes, false locks, takeover trials, injection reports on genuine typing.
    pub genuine_keystrokes: usize,
    /// False locks counted.
    pub false_locks: usize,
    /// Takeover trials.
    pub takeovers: usize,
    /// Injection reports on genuine typing (should be 0).
    pub genuine_injection_reports: u32,
    /// Fraction of users whose profile matured during enrollment.
    pub profiles_mature: Option<f64>,
}

fn figures(trials: &[&Trial]) -> TakeoverFigures {
    let tk: Vec<&Takeover> = trials.iter().flat_map(|t| t.takeovers.iter()).collect();
    let ania: Vec<f64> = tk.iter().map(|t| t.keys.unwrap_or(t.len) as f64).collect();
    let secs: Vec<f64> = tk.iter().map(|t| t.secs.unwrap_or(t.dur_s)).collect();
    let frac = |f: &dyn Fn(&Takeover) -> bool| {
        (!tk.is_empty()).then(|| tk.iter().filter(|t| f(t)).count() as f64 / tk.len() as f64)
    };
    let gk: usize = trials.iter().map(|t| t.genuine_keys).sum();
    let fl: usize = trials.iter().map(|t| t.false_locks).sum();
    let n = trials.len() as f64;
    TakeoverFigures {
        ania_median: median(&ania),
        ania_mean: mean(&ania),
        detected_within_100: frac(&|t| t.keys.is_some_and(|k| k <= 100)),
        detected_within_500: frac(&|t| t.keys.is_some_and(|k| k <= 500)),
        undetected: frac(&|t| t.keys.is_none()),
        seconds_to_lock_median: median(&secs),
        false_locks_per_10k: (gk > 0).then(|| fl as f64 * 10_000.0 / gk as f64),
        users_never_falsely_locked: (n > 0.0)
            .then(|| trials.iter().filter(|t| t.false_locks == 0).count() as f64 / n),
        prefix_false_lock_trials: tk.iter().filter(|t| t.prefix_false_locks > 0).count(),
        genuine_keystrokes: gk,
        false_locks: fl,
        takeovers: tk.len(),
        genuine_injection_reports: trials.iter().map(|t| t.genuine_injections).sum(),
        profiles_mature: (n > 0.0).then(|| trials.iter().filter(|t| t.mature).count() as f64 / n),
    }
}

/// The report for one group.
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    /// Users evaluated.
    pub users: usize,
    /// Takeover figures with the full session-0 enrollment.
    #[serde(flatten)]
    pub figures: TakeoverFigures,
    /// Mean per-user EER by window size (keystrokes).
    pub eer_at: BTreeMap<String, Option<f64>>,
    /// EER with one threshold for all users, by window size.
    pub eer_global_at: BTreeMap<String, Option<f64>>,
    /// Takeover figures when enrollment stops after 500, 1,000 and 2,000 keystrokes.
    pub by_enrollment: BTreeMap<String, TakeoverFigures>,
    /// Median serialized size of the enrolled profiles (bytes).
    pub profile_bytes_median: Option<f64>,
    /// Largest serialized enrolled profile (bytes).
    pub profile_bytes_max: usize,
    /// Pooled window scores per window size, for DET plots (not serialized).
    #[serde(skip)]
    pub pooled: Vec<(usize, Vec<f64>, Vec<f64>)>,
}

fn group_report(outs: &[&UserOut]) -> GroupReport {
    let mut eer_at = BTreeMap::new();
    let mut eer_global_at = BTreeMap::new();
    let mut pooled = Vec::new();
    for (wi, &n) in WINDOWS.iter().enumerate() {
        let per: Vec<f64> = outs
            .iter()
            .filter_map(|o| eer(&o.windows[wi].0, &o.windows[wi].1))
            .collect();
        let g: Vec<f64> = outs
            .iter()
            .flat_map(|o| o.windows[wi].0.iter().copied())
            .collect();
        let i: Vec<f64> = outs
            .iter()
            .flat_map(|o| o.windows[wi].1.iter().copied())
            .collect();
        eer_at.insert(n.to_string(), mean(&per));
        eer_global_at.insert(n.to_string(), eer(&g, &i));
        pooled.push((n, g, i));
    }
    let full: Vec<&Trial> = outs.iter().map(|o| &o.full).collect();
    let by_enrollment = ENROLL_CAPS
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            (
                c.to_string(),
                figures(&outs.iter().map(|o| &o.by_enroll[ci]).collect::<Vec<_>>()),
            )
        })
        .collect();
    GroupReport {
        users: outs.len(),
        figures: figures(&full),
        eer_at,
        eer_global_at,
        by_enrollment,
        profile_bytes_median: median(
            &outs
                .iter()
                .map(|o| o.profile_bytes as f64)
                .collect::<Vec<_>>(),
        ),
        profile_bytes_max: outs.iter().map(|o| o.profile_bytes).max().unwrap_or(0),
        pooled,
    }
}

/// Runs the protocol over `users` (already filtered to the split); returns (baseline,
/// rotation) reports.
pub fn evaluate(
    p: &EngineParams,
    users: &[User],
    split: Split,
    threads: usize,
    progress: bool,
) -> (GroupReport, GroupReport) {
    let max_lat = (p.max_latency_ms * 1000.0) as i64;
    let idx: Vec<usize> = (0..users.len()).collect();
    let prepared: Vec<Prepared> =
        crate::eval::par::map(&idx, threads, "buffalo: preparing streams", false, |&i| {
            let u = &users[i];
            let timing: [Vec<TimingEvent>; 3] =
                std::array::from_fn(|s| clean(&u.sessions[s], DeviceId(1)));
            let ks = std::array::from_fn(|s| keystrokes(&timing[s], max_lat));
            Prepared {
                user: u,
                timing,
                ks,
            }
        });
    let outs = crate::eval::par::map(&prepared, threads, "buffalo: users", progress, |me| {
        run_user(p, me, &prepared, split)
    });
    let pick = |g: Group| group_report(&outs.iter().filter(|o| o.group == g).collect::<Vec<_>>());
    (pick(Group::Baseline), pick(Group::Rotation))
}
