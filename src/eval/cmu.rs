//! The `cmu` protocol (Killourhy & Maxion, DSN 2009) on `DSL-StrongPasswordData.csv`.
//!
//! Owns: the CSV loader, the rebuilt per-repetition key timeline of `.tie5Roanl` + Return,
//! the scaled-Manhattan detector and the per-subject check against the published
//! reproduction (`reference_per_subject_eer_engdawood_repro.csv`).
//!
//! Path: each repetition's timeline goes through `RawEvent`s → `Cleaner` → the engine's
//! feature extractor, and the 31-feature vector (H, DD, UD per key, the CSV's order) is read
//! back from the extracted keystrokes. Fixed-text repetitions are one chain, so the
//! extractor's pause rule is off here (`i64::MAX`) and no autorepeat is synthesised (K&M's
//! vectors are never cut); the engine's own scorer (default parameters, each keystroke on
//! its own) is reported alongside.
//!
//! Protocol: per subject, train on the first 200 repetitions (sessions 1–4), genuine test =
//! the last 200, impostor test = the first 5 repetitions of every other subject; EER with
//! interpolation; report the mean and sd over subjects.

use crate::core::timing::DeviceId;
use crate::engine::{score, EngineParams, Keystroke, Profile};
use crate::eval::metrics::{eer, mean, sd};
use crate::eval::timeline::{clean_with, keystrokes, KeyRec};
use crate::eval::EvalError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Linux codes of `. t i e 5 R o a n l Return` (Shift+r is one key in the data: its hold is
/// the `r` key's).
const PASSWORD: [u16; 11] = [52, 20, 23, 18, 6, 19, 24, 30, 49, 38, 28];
/// Features per repetition.
pub const FEATURES: usize = 31;

/// One repetition.
#[derive(Clone, Debug)]
pub struct Rep {
    /// Subject id as written (e.g. `s002`).
    pub subject: String,
    /// Timeline.
    pub keys: Vec<KeyRec>,
}

fn s_us(s: f64) -> i64 {
    (s * 1e6).round() as i64
}

/// Parses the CSV (header + rows of subject, sessionIndex, rep, 31 features in seconds).
pub fn parse(text: &str, path: &Path) -> Result<Vec<Rep>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if i == 0 || line.is_empty() {
            continue;
        }
        let bad = |what| EvalError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            what,
        };
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 3 + FEATURES {
            return Err(bad("expected 34 columns"));
        }
        let v: Vec<f64> = f[3..]
            .iter()
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("bad number"))?;
        let mut keys = Vec::with_capacity(11);
        let mut t = 1_000_000i64;
        for (k, &code) in PASSWORD.iter().enumerate() {
            let hold = v[3 * k];
            keys.push(KeyRec {
                code,
                press_us: t,
                release_us: t + s_us(hold),
            });
            if k < 10 {
                t += s_us(v[3 * k + 1]);
            }
        }
        out.push(Rep {
            subject: f[0].trim().to_string(),
            keys,
        });
    }
    Ok(out)
}

/// The 31-feature vector of a repetition read back from the engine's extracted keystrokes;
/// `None` if cleaning cut the repetition.
pub fn vector(ks: &[Keystroke]) -> Option<Vec<f64>> {
    if ks.len() != PASSWORD.len() {
        return None;
    }
    let mut v = Vec::with_capacity(FEATURES);
    for (i, k) in ks.iter().enumerate() {
        v.push(k.hold_us() as f64 / 1e6);
        if let Some(next) = ks.get(i + 1) {
            let l = next.link?;
            v.push(l.dd_us as f64 / 1e6);
            v.push(l.ud_us as f64 / 1e6);
        }
    }
    Some(v)
}

/// Scaled Manhattan (K&M 2009): Σ |x − mean| / mean absolute deviation.
pub fn scaled_manhattan(train: &[Vec<f64>], test: &[Vec<f64>]) -> Vec<f64> {
    let n = train.len().max(1) as f64;
    let d = train.first().map_or(0, Vec::len);
    let mu: Vec<f64> = (0..d)
        .map(|j| train.iter().map(|x| x[j]).sum::<f64>() / n)
        .collect();
    let mad: Vec<f64> = (0..d)
        .map(|j| train.iter().map(|x| (x[j] - mu[j]).abs()).sum::<f64>() / n)
        .collect();
    test.iter()
        .map(|x| {
            (0..d)
                .map(|j| (x[j] - mu[j]).abs() / mad[j].max(1e-12))
                .sum()
        })
        .collect()
}

/// The report.
#[derive(Clone, Debug, Serialize)]
pub struct CmuReport {
    /// Subjects evaluated.
    pub subjects: usize,
    /// Repetitions the cleaning core cut (not usable as vectors).
    pub reps_cut: usize,
    /// Mean and sd of per-subject EER, scaled Manhattan.
    pub eer_scaled_manhattan_mean: Option<f64>,
    /// Standard deviation of the same.
    pub eer_scaled_manhattan_sd: Option<f64>,
    /// Mean per-subject EER of the engine's own scorer (mean evidence per repetition).
    pub eer_engine_mean: Option<f64>,
    /// Per-subject check against the reference reproduction, when it is available.
    pub reference_check: Option<ReferenceCheck>,
    /// Per-subject scaled-Manhattan EER.
    pub per_subject: BTreeMap<String, f64>,
}

/// Agreement with the published per-subject EERs.
#[derive(Clone, Debug, Serialize)]
pub struct ReferenceCheck {
    /// Subjects present in both.
    pub subjects_compared: usize,
    /// Largest absolute difference.
    pub max_abs_diff: f64,
    /// Subjects within 0.001.
    pub within_0_001: usize,
}

/// Runs the protocol.
pub fn evaluate(
    p: &EngineParams,
    reps: &[Rep],
    reference: Option<&BTreeMap<String, f64>>,
) -> CmuReport {
    let mut subjects: Vec<&str> = Vec::new();
    for r in reps {
        if !subjects.contains(&r.subject.as_str()) {
            subjects.push(&r.subject);
        }
    }
    let mut cut = 0;
    // Per subject: (feature vectors, keystrokes) of its usable repetitions.
    type Subject = (Vec<Vec<f64>>, Vec<Vec<Keystroke>>);
    let mut data: Vec<Subject> = Vec::new();
    for s in &subjects {
        let (mut vs, mut kss) = (Vec::new(), Vec::new());
        for r in reps.iter().filter(|r| r.subject == *s) {
            let ks = keystrokes(&clean_with(&r.keys, DeviceId(1), false), i64::MAX);
            match vector(&ks) {
                Some(v) => {
                    vs.push(v);
                    kss.push(ks);
                }
                None => cut += 1,
            }
        }
        data.push((vs, kss));
    }
    let mut per_subject = BTreeMap::new();
    let (mut sm, mut en) = (Vec::new(), Vec::new());
    for (i, s) in subjects.iter().enumerate() {
        let (vs, kss) = &data[i];
        let (ntr, ngen) = (200.min(vs.len()), vs.len().saturating_sub(200).min(200));
        let imp_v: Vec<Vec<f64>> = data
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, d)| d.0.iter().take(5).cloned())
            .collect();
        let gen = scaled_manhattan(&vs[..ntr], &vs[ntr..ntr + ngen]);
        let imp = scaled_manhattan(&vs[..ntr], &imp_v);
        if let Some(e) = eer(&gen, &imp) {
            per_subject.insert(s.to_string(), e);
            sm.push(e);
        }
        let mut prof = Profile::new();
        kss[..ntr].iter().flatten().for_each(|k| prof.learn(k, p));
        let sc = |ks: &Vec<Keystroke>| {
            mean(
                &ks.iter()
                    .filter_map(|k| score::raw_score(&prof, k, p))
                    .collect::<Vec<_>>(),
            )
            .unwrap_or(f64::NAN)
        };
        let gen_e: Vec<f64> = kss[ntr..ntr + ngen].iter().map(sc).collect();
        let imp_e: Vec<f64> = data
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, d)| d.1.iter().take(5).map(sc))
            .collect();
        if let Some(e) = eer(&gen_e, &imp_e) {
            en.push(e);
        }
    }
    let reference_check = reference.map(|r| {
        let diffs: Vec<f64> = per_subject
            .iter()
            .filter_map(|(s, e)| r.get(s).map(|x| (x - e).abs()))
            .collect();
        ReferenceCheck {
            subjects_compared: diffs.len(),
            max_abs_diff: diffs.iter().copied().fold(0.0, f64::max),
            within_0_001: diffs.iter().filter(|&&d| d <= 0.001).count(),
        }
    });
    CmuReport {
        subjects: subjects.len(),
        reps_cut: cut,
        eer_scaled_manhattan_mean: mean(&sm),
        eer_scaled_manhattan_sd: sd(&sm),
        eer_engine_mean: mean(&en),
        reference_check,
        per_subject,
    }
}

/// Reads the reference per-subject scaled-Manhattan EERs (`subject,eer_scaled_manhattan,…`).
pub fn parse_reference(text: &str, path: &Path) -> Result<BTreeMap<String, f64>, EvalError> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let col = header
        .iter()
        .position(|h| *h == "eer_scaled_manhattan")
        .ok_or(EvalError::Line {
            path: path.to_path_buf(),
            line: 1,
            what: "no eer_scaled_manhattan column",
        })?;
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let v = f.get(col).and_then(|x| x.parse::<f64>().ok());
        match (f.first(), v) {
            (Some(s), Some(v)) if !s.is_empty() => {
                out.insert(s.to_string(), v);
            }
            _ if line.trim().is_empty() => {}
            _ => {
                return Err(EvalError::Line {
                    path: path.to_path_buf(),
                    line: i + 2,
                    what: "bad reference row",
                })
            }
        }
    }
    Ok(out)
}
