//! The `balabit` protocol: per-user pointer profiles trained on the training sessions,
//! one anomaly score per labelled test session, and the cross-validation inside the
//! training files that chose the shipped settings.
//!
//! Owns: training, session scoring, the report, and the CV (`docs/evaluation.md` has the
//! protocol in prose). Every action goes through the daemon's path: rows → kernel-like
//! events → `core::pointer` → `engine::pointer` (features, profile, calibrated evidence).

use crate::core::pointer::{ActionKind, PointerAction};
use crate::engine::pointer::{PointerParams, PointerProfile};
use crate::engine::{Engine, EngineParams, Profile};
use crate::eval::balabit::{actions, UserData};
use crate::eval::metrics::{auc, eer, mean};
use crate::eval::{mouse_takeover, par};
use serde::Serialize;
use std::collections::BTreeMap;

/// Numbers of actions for `auc_by_actions`.
pub const BY_ACTIONS: [usize; 5] = [1, 5, 10, 20, 50];
/// Enrollment lengths (actions) for `by_enrollment`: the daemon's maturity minimum and more.
pub const ENROLL_CAPS: [usize; 2] = [600, 2000];
/// Duration of a pseudo-session in the cross-validation (µs): 5 minutes, about the median
/// test session (337 s), so chunks hold what a test session would whatever the
/// segmentation settings.
pub const CV_WINDOW_US: i64 = 300_000_000;
/// Impostor chunks taken from each other user's training session in the cross-validation.
pub const CV_IMPOSTOR_CHUNKS: usize = 3;

/// One user's sessions as actions.
pub struct Prepared {
    /// `userN`.
    pub id: u32,
    /// Training sessions' actions, in session order.
    pub train: Vec<Vec<PointerAction>>,
    /// Test sessions: actions and whether illegal.
    pub test: Vec<(Vec<PointerAction>, bool)>,
}

/// Segments every session with the settings in `p`.
pub fn prepare(users: &[UserData], p: &PointerParams, threads: usize) -> Vec<Prepared> {
    let seg = p.segment();
    par::map(users, threads, "balabit: segmenting", false, |u| Prepared {
        id: u.id,
        train: u.train.iter().map(|s| actions(&s.rows, seg)).collect(),
        test: u
            .test
            .iter()
            .map(|(s, ill)| (actions(&s.rows, seg), *ill))
            .collect(),
    })
}

/// A profile enrolled on every action of `sessions`, in order (the daemon's enrollment,
/// continued over all the training data).
pub fn train<'a>(
    sessions: impl IntoIterator<Item = &'a [PointerAction]>,
    p: &PointerParams,
) -> PointerProfile {
    train_capped(sessions, p, usize::MAX)
}

/// [`train`] stopped after the first `cap` actions (the daemon's enrollment is shorter
/// than Balabit's hours of training sessions; see `by_enrollment`).
pub fn train_capped<'a>(
    sessions: impl IntoIterator<Item = &'a [PointerAction]>,
    p: &PointerParams,
    cap: usize,
) -> PointerProfile {
    let mut prof = PointerProfile::new();
    for a in sessions.into_iter().flatten().take(cap) {
        prof.learn(a, p);
    }
    prof
}

/// Calibrated evidence of each scorable action of a session, in order.
pub fn evidence(prof: &PointerProfile, acts: &[PointerAction], p: &PointerParams) -> Vec<f64> {
    acts.iter()
        .filter_map(|a| prof.score(a, p))
        .map(|s| s.evidence)
        .collect()
}

/// The session's anomaly score: the standardised sum of its evidence, Σe/√n, which is
/// ≈ N(0, 1) for the owner whatever the session length, so sessions of every length and
/// every user share one threshold (the global AUC).
pub fn session_score(ev: &[f64]) -> Option<f64> {
    (!ev.is_empty()).then(|| ev.iter().sum::<f64>() / (ev.len() as f64).sqrt())
}

/// The figures of one run.
#[derive(Clone, Debug, Serialize)]
pub struct BalabitReport {
    /// Labelled test sessions read.
    pub test_sessions: usize,
    /// Of them, sessions with no scorable action (scored 0, the owner's mean).
    pub sessions_without_evidence: usize,
    /// Median scorable actions per test session.
    pub actions_per_session_median: f64,
    /// ROC AUC over all test sessions with one threshold (the challenge metric).
    pub auc_global: Option<f64>,
    /// AUC per user (`userN`).
    pub auc_per_user: BTreeMap<String, Option<f64>>,
    /// Mean of the per-user EERs.
    pub eer_per_user_mean: Option<f64>,
    /// Global AUC when only the first N scorable actions of each session count (sessions
    /// with fewer are left out; see `sessions_by_actions`).
    pub auc_by_actions: BTreeMap<String, Option<f64>>,
    /// Sessions with at least N scorable actions.
    pub sessions_by_actions: BTreeMap<String, usize>,
    /// AUC of single actions, per kind, pooled over users (genuine vs illegal sessions).
    pub auc_per_action_kind: BTreeMap<String, Option<f64>>,
    /// Actions learned per user profile.
    pub profile_actions: BTreeMap<String, u64>,
    /// Training actions per kind, all users.
    pub training_actions_by_kind: BTreeMap<String, u64>,
    /// The same test when each profile learns only the first N training actions.
    pub by_enrollment: BTreeMap<String, EnrollFigures>,
    /// Pooled session scores for the DET plot: (genuine, impostor).
    #[serde(skip)]
    pub pooled: (Vec<f64>, Vec<f64>),
}

/// Figures of a shorter enrollment.
#[derive(Clone, Debug, Serialize)]
pub struct EnrollFigures {
    /// Global AUC of the session scores.
    pub auc_global: Option<f64>,
    /// Mean per-user EER.
    pub eer_per_user_mean: Option<f64>,
    /// Fraction of profiles mature after the N actions.
    pub profiles_mature: f64,
}

fn by_enrollment(
    users: &[Prepared],
    p: &PointerParams,
    threads: usize,
) -> BTreeMap<String, EnrollFigures> {
    let mut out = BTreeMap::new();
    for cap in ENROLL_CAPS {
        let per_user = par::map(users, threads, "balabit: enrollment", false, |u| {
            let prof = train_capped(u.train.iter().map(Vec::as_slice), p, cap);
            let scores: Vec<(f64, bool)> = u
                .test
                .iter()
                .map(|(acts, ill)| {
                    (
                        session_score(&evidence(&prof, acts, p)).unwrap_or(0.0),
                        *ill,
                    )
                })
                .collect();
            (prof.is_mature(), scores)
        });
        let all: Vec<(f64, bool)> = per_user.iter().flat_map(|x| x.1.iter().copied()).collect();
        let (g, i) = split(&all);
        let eers: Vec<f64> = per_user
            .iter()
            .filter_map(|x| {
                let (g, i) = split(&x.1);
                eer(&g, &i)
            })
            .collect();
        out.insert(
            cap.to_string(),
            EnrollFigures {
                auc_global: auc(&g, &i),
                eer_per_user_mean: mean(&eers),
                profiles_mature: per_user.iter().filter(|x| x.0).count() as f64
                    / per_user.len().max(1) as f64,
            },
        );
    }
    out
}

struct UserOut {
    id: u32,
    learned: u64,
    /// (evidence with its kind, illegal) per test session.
    sessions: Vec<(Vec<(ActionKind, f64)>, bool)>,
}

fn split(scores: &[(f64, bool)]) -> (Vec<f64>, Vec<f64>) {
    let g = scores.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let i = scores.iter().filter(|s| s.1).map(|s| s.0).collect();
    (g, i)
}

/// Trains per user on the training sessions and scores every labelled test session.
pub fn evaluate(
    users: &[Prepared],
    p: &PointerParams,
    threads: usize,
    progress: bool,
) -> BalabitReport {
    let outs = par::map(users, threads, "balabit: users", progress, |u| {
        let prof = train(u.train.iter().map(Vec::as_slice), p);
        let sessions = u
            .test
            .iter()
            .map(|(acts, ill)| {
                let ev = acts
                    .iter()
                    .filter_map(|a| prof.score(a, p).map(|s| (a.kind, s.evidence)))
                    .collect();
                (ev, *ill)
            })
            .collect();
        UserOut {
            id: u.id,
            learned: prof.actions(),
            sessions,
        }
    });
    let mut all: Vec<(f64, bool)> = Vec::new();
    let mut per_user = BTreeMap::new();
    let mut eers = Vec::new();
    let mut lens = Vec::new();
    let mut without = 0;
    let mut kinds: BTreeMap<ActionKind, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for o in &outs {
        let mut mine = Vec::new();
        for (ev, ill) in &o.sessions {
            let e: Vec<f64> = ev.iter().map(|x| x.1).collect();
            if e.is_empty() {
                without += 1;
            }
            lens.push(e.len() as f64);
            mine.push((session_score(&e).unwrap_or(0.0), *ill));
            for &(k, x) in ev {
                let slot = kinds.entry(k).or_default();
                if *ill {
                    slot.1.push(x);
                } else {
                    slot.0.push(x);
                }
            }
        }
        let (g, i) = split(&mine);
        per_user.insert(format!("user{}", o.id), auc(&g, &i));
        if let Some(e) = eer(&g, &i) {
            eers.push(e);
        }
        all.extend(mine);
    }
    let (g, i) = split(&all);
    let mut by = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for n in BY_ACTIONS {
        let s: Vec<(f64, bool)> = outs
            .iter()
            .flat_map(|o| &o.sessions)
            .filter(|(ev, _)| ev.len() >= n)
            .filter_map(|(ev, ill)| {
                let e: Vec<f64> = ev[..n].iter().map(|x| x.1).collect();
                session_score(&e).map(|s| (s, *ill))
            })
            .collect();
        counts.insert(n.to_string(), s.len());
        let (g, i) = split(&s);
        by.insert(n.to_string(), auc(&g, &i));
    }
    let mut train_kinds = BTreeMap::new();
    for u in users {
        for a in u.train.iter().flatten() {
            *train_kinds.entry(a.kind.as_str().to_string()).or_default() += 1;
        }
    }
    BalabitReport {
        test_sessions: all.len(),
        sessions_without_evidence: without,
        actions_per_session_median: crate::eval::metrics::median(&lens).unwrap_or(0.0),
        auc_global: auc(&g, &i),
        auc_per_user: per_user,
        eer_per_user_mean: mean(&eers),
        auc_by_actions: by,
        sessions_by_actions: counts,
        auc_per_action_kind: kinds
            .iter()
            .map(|(k, (g, i))| (k.as_str().to_string(), auc(g, i)))
            .collect(),
        profile_actions: outs
            .iter()
            .map(|o| (format!("user{}", o.id), o.learned))
            .collect(),
        training_actions_by_kind: train_kinds,
        by_enrollment: by_enrollment(users, p, threads),
        pooled: (g, i),
    }
}

/// Consecutive `CV_WINDOW_US` windows of a session (by action start), empty ones left out.
fn windows(s: &[PointerAction]) -> Vec<&[PointerAction]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let end = s[i].start_us + CV_WINDOW_US;
        let j = i + s[i..].partition_point(|a| a.start_us < end);
        out.push(&s[i..j]);
        i = j;
    }
    out
}

/// Cross-validation inside the training files.
#[derive(Clone, Debug, Serialize)]
pub struct CvReport {
    /// Global AUC of 5-minute pseudo-sessions.
    pub auc_global: Option<f64>,
    /// Mean per-user AUC.
    pub auc_per_user_mean: Option<f64>,
    /// Global AUC of single actions.
    pub auc_single_action: Option<f64>,
    /// Genuine and impostor pseudo-sessions scored.
    pub chunks: (usize, usize),
    /// Mean and standard deviation of genuine single-action evidence as the policy gets it
    /// (calibration check: ≈ −weight·offset and weight when the owner's held-out sessions
    /// look like the calibration).
    pub genuine_evidence_mean_sd: (Option<f64>, Option<f64>),
    /// Mean and standard deviation of genuine pseudo-session scores (≈ 0 and 1 if actions
    /// were independent; a larger spread is the session-to-session variation).
    pub genuine_score_mean_sd: (Option<f64>, Option<f64>),
    /// The same for impostor pseudo-sessions.
    pub impostor_score_mean_sd: (Option<f64>, Option<f64>),
    /// Through the engine's policy at the shipped operating point: false locks per 10,000
    /// actions of the held-out sessions, each streamed whole from an unlock.
    pub policy_false_locks_per_10k: Option<f64>,
    /// Through the policy: fraction of impostor pseudo-sessions locked when they follow
    /// 100 of the owner's held-out actions and a 60 s pause, with no reset.
    pub policy_detected: Option<f64>,
    /// Median impostor actions to the lock (undetected: all of the pseudo-session's).
    pub policy_actions_to_lock_median: Option<f64>,
}

/// Leave-one-session-out inside the training files: for each user and each of their
/// training sessions, a profile trained on the user's other training sessions scores the
/// held-out session cut into consecutive 5-minute pseudo-sessions (genuine) and
/// pseudo-sessions from other users' training sessions (impostors: the first
/// `CV_IMPOSTOR_CHUNKS` chunks of each of their sessions, spread over the folds). The test
/// sessions are never read.
pub fn cross_validate(users: &[Prepared], p: &PointerParams, threads: usize) -> CvReport {
    // Impostor chunks for each user: other users' chunks, dealt round-robin to folds.
    fn chunks_of(u: &Prepared) -> Vec<&[PointerAction]> {
        u.train
            .iter()
            .flat_map(|s| windows(s).into_iter().take(CV_IMPOSTOR_CHUNKS))
            .collect()
    }
    let folds: Vec<(usize, usize)> = users
        .iter()
        .enumerate()
        .flat_map(|(ui, u)| (0..u.train.len()).map(move |f| (ui, f)))
        .collect();
    let res = par::map(&folds, threads, "balabit cv: folds", false, |&(ui, f)| {
        let u = &users[ui];
        let prof = train(
            u.train
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != f)
                .map(|(_, s)| s.as_slice()),
            p,
        );
        let nf = u.train.len();
        let gen: Vec<Vec<f64>> = windows(&u.train[f])
            .into_iter()
            .map(|c| evidence(&prof, c, p))
            .collect();
        let imp: Vec<Vec<f64>> = users
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != ui)
            .flat_map(|(_, o)| chunks_of(o))
            .enumerate()
            .filter(|(k, _)| k % nf == f)
            .map(|(_, c)| evidence(&prof, c, p))
            .collect();
        // The same data through the policy the daemon runs.
        let fresh = || {
            let mut e = Engine::with_profiles(
                EngineParams::default(),
                Profile::new(),
                p.clone(),
                prof.clone(),
            );
            e.on_unlock(0);
            e
        };
        let held = &u.train[f];
        let mut e = fresh();
        e.on_unlock(held.first().map_or(0, |a| a.start_us));
        let false_locks = mouse_takeover::feed(&mut e, held).len();
        let prefix = &held[..held.len().min(100)];
        let trials: Vec<(Option<usize>, usize)> = users
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != ui)
            .flat_map(|(_, o)| chunks_of(o))
            .enumerate()
            .filter(|(k, _)| k % nf == f)
            .map(|(_, c)| {
                let t = mouse_takeover::takeover(&mut fresh(), prefix, c);
                (t.lock_after, t.len)
            })
            .collect();
        (ui, gen, imp, (false_locks, held.len()), trials)
    });
    let mut all = (Vec::new(), Vec::new());
    let mut single = (Vec::new(), Vec::new());
    let mut per_user: BTreeMap<usize, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let (mut fl, mut fl_n) = (0usize, 0usize);
    let mut trials = Vec::new();
    for (ui, gen, imp, (l, n), t) in &res {
        fl += l;
        fl_n += n;
        trials.extend_from_slice(t);
        let pu = per_user.entry(*ui).or_default();
        for e in gen {
            single.0.extend_from_slice(e);
            if let Some(s) = session_score(e) {
                all.0.push(s);
                pu.0.push(s);
            }
        }
        for e in imp {
            single.1.extend_from_slice(e);
            if let Some(s) = session_score(e) {
                all.1.push(s);
                pu.1.push(s);
            }
        }
    }
    let users_auc: Vec<f64> = per_user.values().filter_map(|(g, i)| auc(g, i)).collect();
    CvReport {
        auc_global: auc(&all.0, &all.1),
        auc_per_user_mean: mean(&users_auc),
        auc_single_action: auc(&single.0, &single.1),
        chunks: (all.0.len(), all.1.len()),
        genuine_evidence_mean_sd: (mean(&single.0), crate::eval::metrics::sd(&single.0)),
        genuine_score_mean_sd: (mean(&all.0), crate::eval::metrics::sd(&all.0)),
        impostor_score_mean_sd: (mean(&all.1), crate::eval::metrics::sd(&all.1)),
        policy_false_locks_per_10k: (fl_n > 0).then(|| fl as f64 * 1e4 / fl_n as f64),
        policy_detected: (!trials.is_empty())
            .then(|| trials.iter().filter(|t| t.0.is_some()).count() as f64 / trials.len() as f64),
        policy_actions_to_lock_median: crate::eval::metrics::median(
            &trials
                .iter()
                .map(|t| t.0.unwrap_or(t.1) as f64)
                .collect::<Vec<_>>(),
        ),
    }
}
