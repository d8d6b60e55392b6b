//! Loader for the Buffalo keystroke set in its third-party digraph conversion
//! (`buffalo-keystroke-biokey-digraphs/`, see its SOURCE.md).
//!
//! Owns: parsing of the one-line Python-literal list of `(vk1, vk2, hold1, hold2, DD, UD)`
//! tuples (seconds), and the rebuilt relative timeline: `t_down[0] = 0`,
//! `t_down[i+1] = t_down[i] + DD_i`, `t_up = t_down + hold`.
//!
//! Invariants: a malformed file is an error naming the file and byte offset, never quoting
//! content (it holds key codes); files are read gzip'd (`.txt.gz`) or plain (`.txt`).

use crate::eval::keymap::vk_to_linux;
use crate::eval::timeline::{concat, KeyRec};
use crate::eval::EvalError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Pause inserted between the two task files of a session (s): longer than the idle
/// re-verification gap, as a break between tasks would be.
pub const TASK_GAP_US: i64 = 60_000_000;

/// The two Buffalo groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// Same keyboard in every session.
    Baseline,
    /// A different keyboard each session.
    Rotation,
}

/// One user's three session streams (task 0 then task 1).
#[derive(Clone, Debug)]
pub struct User {
    /// User id (1–148).
    pub id: u32,
    /// Group.
    pub group: Group,
    /// Sessions 0, 1, 2.
    pub sessions: [Vec<KeyRec>; 3],
}

/// Parses the Python-literal digraph list.
pub fn parse_digraphs(text: &[u8], path: &Path) -> Result<Vec<[f64; 6]>, EvalError> {
    let err = |what: &'static str, offset: usize| EvalError::Parse {
        path: path.to_path_buf(),
        what,
        offset,
    };
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < text.len() && text[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let expect = |i: &mut usize, c: u8, what: &'static str| {
        skip(i);
        if text.get(*i) == Some(&c) {
            *i += 1;
            Ok(())
        } else {
            Err(err(what, *i))
        }
    };
    expect(&mut i, b'[', "expected '['")?;
    let mut out = Vec::new();
    skip(&mut i);
    if text.get(i) == Some(&b']') {
        return Ok(out);
    }
    loop {
        expect(&mut i, b'(', "expected '('")?;
        let mut rec = [0.0; 6];
        for (j, slot) in rec.iter_mut().enumerate() {
            if j > 0 {
                expect(&mut i, b',', "expected ','")?;
            }
            skip(&mut i);
            let start = i;
            while i < text.len()
                && matches!(text[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let tok = std::str::from_utf8(&text[start..i]).map_err(|_| err("bad number", start))?;
            *slot = tok.parse::<f64>().map_err(|_| err("bad number", start))?;
            if !slot.is_finite() {
                return Err(err("bad number", start));
            }
        }
        expect(&mut i, b')', "expected ')'")?;
        out.push(rec);
        skip(&mut i);
        match text.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return Ok(out),
            _ => return Err(err("expected ',' or ']'", i)),
        }
    }
}

fn ms_us(s: f64) -> i64 {
    (s * 1000.0).round() as i64 * 1000
}

/// Rebuilds the key timeline from digraph records.
pub fn timeline(recs: &[[f64; 6]]) -> Vec<KeyRec> {
    let Some(first) = recs.first() else {
        return Vec::new();
    };
    let mut keys = Vec::with_capacity(recs.len() + 1);
    let mut t = 0i64;
    keys.push(KeyRec {
        code: vk_to_linux(first[0] as u32),
        press_us: 0,
        release_us: ms_us(first[2]),
    });
    for r in recs {
        t += ms_us(r[4]).max(0);
        keys.push(KeyRec {
            code: vk_to_linux(r[1] as u32),
            press_us: t,
            release_us: t + ms_us(r[3]),
        });
    }
    keys
}

/// Reads a file, gunzipping `.gz`.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, EvalError> {
    use std::io::Read;
    let io = |e| EvalError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 5);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(io)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// `UUUSKT.txt[.gz]` → (user, session, task).
fn file_key(name: &str) -> Option<(u32, usize, usize)> {
    let stem = name
        .strip_suffix(".gz")
        .unwrap_or(name)
        .strip_suffix(".txt")?;
    if stem.len() != 6 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let user = stem[..3].parse().ok()?;
    let session = usize::from(stem.as_bytes()[3] - b'0');
    let task = usize::from(stem.as_bytes()[5] - b'0');
    (session < 3 && task < 2).then_some((user, session, task))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), EvalError> {
    let rd = std::fs::read_dir(dir).map_err(|e| EvalError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads every user with all six files; returns the users and the ids skipped for missing or
/// malformed files (each problem is reported on stderr with its path).
pub fn load(
    dir: &Path,
    want: impl Fn(u32) -> bool + Sync,
    threads: usize,
) -> Result<(Vec<User>, Vec<u32>), EvalError> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    let mut by_user: BTreeMap<u32, Vec<(usize, usize, PathBuf)>> = BTreeMap::new();
    for p in files {
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some((u, s, t)) = file_key(name) {
            by_user.entry(u).or_default().push((s, t, p));
        }
    }
    if by_user.is_empty() {
        return Err(EvalError::NoData(format!(
            "no Buffalo digraph files under {}",
            dir.display()
        )));
    }
    let ids: Vec<u32> = by_user.keys().copied().filter(|&u| want(u)).collect();
    let loaded = crate::eval::par::map(&ids, threads, "buffalo: loading users", false, |&u| {
        load_user(u, &by_user[&u])
    });
    let (mut users, mut skipped) = (Vec::new(), Vec::new());
    for (u, r) in ids.iter().zip(loaded) {
        match r {
            Ok(user) => users.push(user),
            Err(e) => {
                eprintln!("buffalo: skipping user {u}: {e}");
                skipped.push(*u);
            }
        }
    }
    Ok((users, skipped))
}

fn load_user(u: u32, files: &[(usize, usize, PathBuf)]) -> Result<User, EvalError> {
    let mut parts: [[Option<Vec<KeyRec>>; 2]; 3] = Default::default();
    let mut group = None;
    for (s, t, p) in files {
        let text = read_maybe_gz(p)?;
        let recs = parse_digraphs(&text, p)?;
        if recs.is_empty() {
            return Err(EvalError::Parse {
                path: p.clone(),
                what: "no records",
                offset: 0,
            });
        }
        parts[*s][*t] = Some(timeline(&recs));
        let folder = p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        group = Some(if folder.contains("rotation") {
            Group::Rotation
        } else {
            Group::Baseline
        });
    }
    let mut sessions: [Vec<KeyRec>; 3] = Default::default();
    for (s, [t0, t1]) in parts.into_iter().enumerate() {
        let (Some(t0), Some(t1)) = (t0, t1) else {
            return Err(EvalError::NoData(format!(
                "user {u}: session {s} is incomplete"
            )));
        };
        sessions[s] = concat(&[&t0, &t1], TASK_GAP_US);
    }
    Ok(User {
        id: u,
        group: group.unwrap_or(Group::Baseline),
        sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_literal_and_rebuilds_the_timeline() {
        let text = b"[(65, 66, 0.1, 0.08, 0.15, 0.05), (66, 32, 0.08, 0.12, 0.2, 0.12)]";
        let recs = parse_digraphs(text, Path::new("x")).unwrap();
        assert_eq!(recs.len(), 2);
        let k = timeline(&recs);
        assert_eq!(k.len(), 3);
        assert_eq!(
            (k[0].code, k[0].press_us, k[0].release_us),
            (30, 0, 100_000)
        );
        assert_eq!(
            (k[1].code, k[1].press_us, k[1].release_us),
            (48, 150_000, 230_000)
        );
        assert_eq!(
            (k[2].code, k[2].press_us, k[2].release_us),
            (57, 350_000, 470_000)
        );
    }

    #[test]
    fn malformed_input_names_the_offset_not_the_content() {
        let e = parse_digraphs(b"[(65, 66, 0.1, 0.08, 0.15)]", Path::new("f.txt"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.txt") && e.contains("byte"), "{e}");
        assert!(!e.contains("65"), "{e}");
        assert!(parse_digraphs(b"[]", Path::new("f")).unwrap().is_empty());
        assert!(parse_digraphs(b"[(1,2,3,4,5,x)]", Path::new("f")).is_err());
    }

    #[test]
    fn file_names() {
        assert_eq!(file_key("076121.txt.gz"), Some((76, 1, 1)));
        assert_eq!(file_key("001000.txt"), Some((1, 0, 0)));
        assert_eq!(file_key("Icon\r"), None);
        assert_eq!(file_key("001300.txt"), None);
    }
}
