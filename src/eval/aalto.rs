//! The `aalto` protocol (TypeNet's, Acien et al.) on the Aalto 136M-keystrokes subset.
//!
//! Owns: the TSV loader (per participant: 15 sentences of key press/release in epoch ms with
//! JavaScript key codes) and the protocol: per user, enroll on the first G sentences, score
//! the last 5 as genuine queries and one sentence of each other test user as impostor
//! queries, every sentence cut to its first 50 keystrokes.
//!
//! Invariants: only the id, section, stamps and key code columns are read; the sentence and
//! letter columns are never decoded or printed (lossy bytes are fine); malformed rows are
//! counted and reported by file and line number only.

use crate::core::timing::DeviceId;
use crate::engine::{Engine, EngineParams, Keystroke, Profile};
use crate::eval::buffalo::read_maybe_gz;
use crate::eval::keymap::js_to_linux;
use crate::eval::metrics::{eer, mean};
use crate::eval::rng::SplitMix64;
use crate::eval::timeline::{clean, concat, evidence, keystrokes, run, KeyRec};
use crate::eval::{EvalError, Split};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Gallery sizes.
pub const GS: [usize; 5] = [1, 2, 5, 7, 10];
/// Keystrokes per sequence.
pub const M: usize = 50;
/// Test users.
pub const K: usize = 1000;
/// Sentences per participant.
pub const SENTENCES: usize = 15;
/// Dev split: participant ids below this were used for tuning.
pub const DEV_MAX_ID_EXCLUSIVE: u32 = 2500;

/// One participant's sentences (key timelines in typing order).
#[derive(Clone, Debug)]
pub struct Participant {
    /// Participant id.
    pub id: u32,
    /// Sentences in the order typed.
    pub sentences: Vec<Vec<KeyRec>>,
}

fn num(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.trim().parse().ok()
}

/// Parses one participant file.
pub fn parse(text: &[u8], path: &Path) -> Result<Participant, EvalError> {
    let mut id = None;
    let mut sections: Vec<(i64, Vec<KeyRec>)> = Vec::new();
    let mut bad = 0usize;
    let mut rows = 0usize;
    for (ln, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || (ln == 0 && line.starts_with(b"PARTICIPANT_ID")) {
            continue;
        }
        rows += 1;
        let f: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
        let n = f.len();
        // A literal tab typed as LETTER adds a field; read stamps from the end accordingly.
        let parsed = (0..2).find_map(|shift| {
            let press = num(f.get(n.checked_sub(4 + shift)?)?)?;
            let release = num(f.get(n.checked_sub(3 + shift)?)?)?;
            Some((press, release))
        });
        let (Some((press, release)), Some(code), Some(pid), Some(sec)) = (
            parsed,
            f.last().and_then(|b| num(b)),
            num(f[0]),
            f.get(1).and_then(|b| num(b)),
        ) else {
            bad += 1;
            continue;
        };
        id.get_or_insert(pid);
        let rec = KeyRec {
            code: js_to_linux(code.clamp(0, 1000) as u32),
            press_us: press * 1000,
            release_us: release * 1000,
        };
        match sections.iter_mut().find(|(s, _)| *s == sec) {
            Some((_, v)) => v.push(rec),
            None => sections.push((sec, vec![rec])),
        }
    }
    if bad * 10 > rows.max(1) {
        return Err(EvalError::Parse {
            path: path.to_path_buf(),
            what: "too many malformed rows",
            offset: 0,
        });
    }
    let id = id
        .and_then(|i| u32::try_from(i).ok())
        .ok_or(EvalError::Parse {
            path: path.to_path_buf(),
            what: "no rows",
            offset: 0,
        })?;
    let mut sentences: Vec<Vec<KeyRec>> = sections.into_iter().map(|(_, v)| v).collect();
    for s in &mut sentences {
        s.sort_by_key(|k| k.press_us);
    }
    sentences.sort_by_key(|s| s.first().map_or(i64::MAX, |k| k.press_us));
    Ok(Participant { id, sentences })
}

/// Loads the participants of a split (first `K` by id), skipping files that are malformed
/// or do not have exactly 15 sentences. Returns (participants, skipped file count).
pub fn load(
    dir: &Path,
    split: Split,
    threads: usize,
) -> Result<(Vec<Participant>, usize), EvalError> {
    let files_dir = if dir.join("files").is_dir() {
        dir.join("files")
    } else {
        dir.to_path_buf()
    };
    let rd = std::fs::read_dir(&files_dir).map_err(|e| EvalError::Io {
        path: files_dir.clone(),
        source: e,
    })?;
    let mut files: Vec<(u32, std::path::PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = p.file_name()?.to_str()?;
            let id = name
                .strip_suffix("_keystrokes.txt.gz")
                .or_else(|| name.strip_suffix("_keystrokes.txt"))?
                .parse()
                .ok()?;
            Some((id, p))
        })
        .filter(|(id, _)| match split {
            Split::All => true,
            Split::Dev => *id < DEV_MAX_ID_EXCLUSIVE,
            Split::Heldout => *id >= DEV_MAX_ID_EXCLUSIVE,
        })
        .collect();
    if files.is_empty() {
        return Err(EvalError::NoData(format!(
            "no Aalto participant files under {}",
            files_dir.display()
        )));
    }
    files.sort();
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut start = 0;
    // Read in chunks until K usable participants are found.
    while out.len() < K && start < files.len() {
        let chunk = &files[start..(start + K - out.len()).min(files.len())];
        start += chunk.len();
        for r in crate::eval::par::map(chunk, threads, "aalto: loading", false, |(_, p)| {
            read_maybe_gz(p).and_then(|t| parse(&t, p))
        }) {
            match r {
                Ok(p) if p.sentences.len() == SENTENCES => out.push(p),
                Ok(_) => skipped += 1,
                Err(e) => {
                    eprintln!("aalto: skipping: {e}");
                    skipped += 1;
                }
            }
        }
    }
    Ok((out, skipped))
}

/// The report.
#[derive(Clone, Debug, Serialize)]
pub struct AaltoReport {
    /// Test users (k).
    pub k: usize,
    /// Files skipped (malformed or not 15 sentences).
    pub users_skipped: usize,
    /// Mean per-user EER by gallery size G.
    pub eer_by_g: BTreeMap<String, Option<f64>>,
    /// EER with one global threshold by G.
    pub eer_global_by_g: BTreeMap<String, Option<f64>>,
    /// Pooled scores per G for DET plots (not serialized).
    #[serde(skip)]
    pub pooled: Vec<(usize, Vec<f64>, Vec<f64>)>,
}

fn query_score(p: &EngineParams, prof: &Profile, ks: &[Keystroke]) -> f64 {
    mean(&evidence(prof, ks, p)).unwrap_or(f64::NAN)
}

/// Runs the protocol.
pub fn evaluate(
    p: &EngineParams,
    users: &[Participant],
    threads: usize,
    progress: bool,
) -> AaltoReport {
    let max_lat = (p.max_latency_ms * 1000.0) as i64;
    let cut = |s: &Vec<KeyRec>| s[..M.min(s.len())].to_vec();
    let qks = |s: &Vec<KeyRec>| keystrokes(&clean(&cut(s), DeviceId(1)), max_lat);
    let genuine: Vec<Vec<Vec<Keystroke>>> = users
        .iter()
        .map(|u| u.sentences[SENTENCES - 5..].iter().map(qks).collect())
        .collect();
    let impostor: Vec<Vec<Keystroke>> = users
        .iter()
        .map(|u| qks(&u.sentences[SplitMix64::new(0xaa17 ^ u64::from(u.id)).below(SENTENCES)]))
        .collect();
    let idx: Vec<usize> = (0..users.len()).collect();
    let per_user = crate::eval::par::map(&idx, threads, "aalto: users", progress, |&i| {
        GS.iter()
            .map(|&g| {
                let parts: Vec<Vec<KeyRec>> = users[i].sentences[..g].iter().map(cut).collect();
                let refs: Vec<&[KeyRec]> = parts.iter().map(|v| &v[..]).collect();
                let timing = clean(&concat(&refs, 5_000_000), DeviceId(1));
                let mut e = Engine::new(p.clone());
                e.on_unlock(timing.first().map_or(0, |t| t.t_us));
                run(&mut e, &timing, true, None);
                let prof = e.profile();
                let gen: Vec<f64> = genuine[i].iter().map(|q| query_score(p, prof, q)).collect();
                let imp: Vec<f64> = (0..users.len())
                    .filter(|&j| j != i)
                    .map(|j| query_score(p, prof, &impostor[j]))
                    .collect();
                (gen, imp)
            })
            .collect::<Vec<_>>()
    });
    let mut rep = AaltoReport {
        k: users.len(),
        users_skipped: 0,
        eer_by_g: BTreeMap::new(),
        eer_global_by_g: BTreeMap::new(),
        pooled: Vec::new(),
    };
    for (gi, &g) in GS.iter().enumerate() {
        let per: Vec<f64> = per_user
            .iter()
            .filter_map(|u| eer(&u[gi].0, &u[gi].1))
            .collect();
        let gen: Vec<f64> = per_user
            .iter()
            .flat_map(|u| u[gi].0.iter().copied())
            .collect();
        let imp: Vec<f64> = per_user
            .iter()
            .flat_map(|u| u[gi].1.iter().copied())
            .collect();
        rep.eer_by_g.insert(g.to_string(), mean(&per));
        rep.eer_global_by_g.insert(g.to_string(), eer(&gen, &imp));
        rep.pooled.push((g, gen, imp));
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_groups_sentences_and_tolerates_a_literal_tab_letter() {
        let text = b"PARTICIPANT_ID\tTEST_SECTION_ID\tSENTENCE\tUSER_INPUT\tKEYSTROKE_ID\tPRESS_TIME\tRELEASE_TIME\tLETTER\tKEYCODE\n\
7\t20\tx\tx\t1\t2000\t2080\ta\t65\n\
7\t10\tx\tx\t2\t1000\t1090\tb\t66\n\
7\t10\tx\tx\t3\t1200\t1290\t\t\t9\n\
7\t20\tx\tx\t4\t1900\t1990\tc\t67\r\n";
        let p = parse(text, Path::new("7_keystrokes.txt")).unwrap();
        assert_eq!(p.id, 7);
        assert_eq!(p.sentences.len(), 2);
        assert_eq!(p.sentences[0].len(), 2, "section 10 was typed first");
        assert_eq!(
            p.sentences[0][1],
            KeyRec {
                code: 15,
                press_us: 1_200_000,
                release_us: 1_290_000
            }
        );
        assert_eq!(
            p.sentences[1][0].press_us, 1_900_000,
            "keys sorted by press time"
        );
    }

    #[test]
    fn garbage_is_an_error_without_content() {
        let e = parse(b"h\nsecret\tstuff\n", Path::new("9_keystrokes.txt"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("9_keystrokes.txt") && !e.contains("secret"),
            "{e}"
        );
    }
}
