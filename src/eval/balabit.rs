//! The Balabit Mouse Dynamics Challenge data: CSV sessions → the kernel-like pointer
//! events a mouse would send → the daemon's own aggregation and segmentation.
//!
//! Owns: parsing (`record timestamp,client timestamp,button,state,x,y`), the conversion of
//! screen positions into displacements (positions end here, as key codes end in
//! `eval::keymap`), and loading the training sessions and labelled test sessions.
//!
//! Conversion: the client timestamp (the RDP client's clock, ~15.6 ms Windows-timer steps)
//! is the event time, shifted by half a frame so that the timer's ticks fall mid-frame of
//! the aggregator's 15.625 ms grid (a constant shift changes no interval). Each `Move` or
//! `Drag` row whose position differs from the previous row's becomes a `REL_X`/`REL_Y`
//! report; `Pressed`/`Released` become `BTN_LEFT`/`BTN_RIGHT`/`BTN_MIDDLE`/`BTN_SIDE` edges (after any
//! motion of the same row); `Scroll Up`/`Down` become one `REL_WHEEL` detent. A position of
//! 65535 (the recorder's "off screen") breaks the displacement chain: no motion spans it.
//! Positions are after the remote desktop's pointer acceleration and clipped at screen
//! edges, unlike a mouse's raw counts; see `docs/evaluation.md`.

use crate::core::event::{RawEvent, EV_KEY, EV_REL, EV_SYN, SYN_REPORT};
use crate::core::pointer::{PointerAction, PointerEvent, PointerTap, SegmentParams, FRAME_US};
use crate::core::timing::DeviceId;
use crate::eval::buffalo::read_maybe_gz;
use crate::eval::{par, EvalError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a row does besides (possibly) moving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// `Move` or `Drag`.
    Move,
    /// A button went down (`BTN_*` code).
    Press(u16),
    /// A button went up.
    Release(u16),
    /// `Scroll` with state `Up` (+1) or `Down` (−1).
    Wheel(i32),
}

/// One CSV row: the only place a screen position exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Event time (µs, client clock plus the half-frame shift).
    pub t_us: i64,
    /// What happened.
    pub kind: RowKind,
    /// Cursor position, `None` when the recorder had none (65535).
    pub pos: Option<(i32, i32)>,
}

/// A parsed session file.
#[derive(Clone, Debug)]
pub struct SessionData {
    /// `session_XXXXXXXXXX`.
    pub name: String,
    /// Its rows in file order.
    pub rows: Vec<Row>,
}

/// One user: training sessions (in name order) and labelled test sessions.
#[derive(Clone, Debug)]
pub struct UserData {
    /// The `userN` number.
    pub id: u32,
    /// Long genuine sessions.
    pub train: Vec<SessionData>,
    /// Test sessions and whether each is illegal (another user's).
    pub test: Vec<(SessionData, bool)>,
}

fn button(name: &str) -> Option<u16> {
    match name {
        "Left" => Some(0x110),
        "Right" => Some(0x111),
        "Middle" => Some(0x112),
        "XButton" => Some(0x113), // BTN_SIDE
        _ => None,
    }
}

/// Parses one session CSV. Header lines (also repeated ones) are skipped; a malformed line
/// is an error naming the file and line, never its content.
pub fn parse(text: &[u8], path: &Path) -> Result<Vec<Row>, EvalError> {
    let text = std::str::from_utf8(text).map_err(|e| EvalError::Parse {
        path: path.to_path_buf(),
        what: "not UTF-8",
        offset: e.valid_up_to(),
    })?;
    let mut rows = Vec::with_capacity(text.len() / 40);
    for (i, line) in text.lines().enumerate() {
        let bad = |what| EvalError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            what,
        };
        if line.is_empty() || line.starts_with("record") {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let [_, client, btn, state, x, y] = f[..] else {
            return Err(bad("expected 6 fields"));
        };
        let secs: f64 = client.parse().map_err(|_| bad("bad client timestamp"))?;
        if !secs.is_finite() || !(0.0..1e9).contains(&secs) {
            return Err(bad("client timestamp out of range"));
        }
        let x: i64 = x.parse().map_err(|_| bad("bad x"))?;
        let y: i64 = y.parse().map_err(|_| bad("bad y"))?;
        let pos =
            ((0..65535).contains(&x) && (0..65535).contains(&y)).then_some((x as i32, y as i32));
        let kind = match (btn, state) {
            (_, "Move" | "Drag") => RowKind::Move,
            ("Scroll", "Up") => RowKind::Wheel(1),
            ("Scroll", "Down") => RowKind::Wheel(-1),
            (b, "Pressed") => RowKind::Press(button(b).ok_or_else(|| bad("unknown button"))?),
            (b, "Released") => RowKind::Release(button(b).ok_or_else(|| bad("unknown button"))?),
            _ => return Err(bad("unknown button/state")),
        };
        rows.push(Row {
            t_us: (secs * 1e6).round() as i64 + FRAME_US / 2,
            kind,
            pos,
        });
    }
    Ok(rows)
}

/// The kernel-like events of a session: displacements, button edges, wheel detents, each
/// report closed by `SYN_REPORT`. Positions do not survive this function.
pub fn raw_events(rows: &[Row]) -> Vec<RawEvent> {
    let mut out = Vec::with_capacity(rows.len() * 3);
    let mut prev: Option<(i32, i32)> = None;
    for r in rows {
        let t = r.t_us;
        if let (Some((px, py)), Some((x, y))) = (prev, r.pos) {
            let (dx, dy) = (x - px, y - py);
            if dx != 0 || dy != 0 {
                if dx != 0 {
                    out.push(RawEvent::new(t, EV_REL, 0, dx));
                }
                if dy != 0 {
                    out.push(RawEvent::new(t, EV_REL, 1, dy));
                }
                out.push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
            }
        }
        prev = r.pos;
        let ev = match r.kind {
            RowKind::Move => continue,
            RowKind::Press(code) => RawEvent::new(t, EV_KEY, code, 1),
            RowKind::Release(code) => RawEvent::new(t, EV_KEY, code, 0),
            RowKind::Wheel(v) => RawEvent::new(t, EV_REL, 8, v),
        };
        out.push(ev);
        out.push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
    }
    out
}

/// The actions of a session through the daemon's aggregation and segmentation, with the
/// quiet-device flushes a live reader would do between reports.
pub fn actions(rows: &[Row], seg: SegmentParams) -> Vec<PointerAction> {
    let mut tap = PointerTap::new(DeviceId(1), seg);
    let mut out = Vec::new();
    let mut last = 0;
    for e in raw_events(rows) {
        while let Some(d) = tap.deadline().filter(|&d| d <= e.time_us) {
            tap.flush(d, &mut out);
        }
        tap.push(&e, &mut out);
        last = e.time_us;
    }
    tap.finish(last, &mut out);
    out.into_iter()
        .filter_map(|e| match e {
            PointerEvent::Action { action, .. } => Some(*action),
            PointerEvent::Cut { .. } => None,
        })
        .collect()
}

fn sessions_in(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let rd = std::fs::read_dir(dir).map_err(|e| EvalError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("session_"))
        })
        .collect();
    v.sort();
    Ok(v)
}

fn session_name(p: &Path) -> String {
    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    n.strip_suffix(".gz").unwrap_or(n).to_string()
}

fn user_id(p: &Path) -> Option<u32> {
    p.file_name()?.to_str()?.strip_prefix("user")?.parse().ok()
}

/// Reads `public_labels.csv`: session name → illegal.
pub fn labels(dir: &Path) -> Result<BTreeMap<String, bool>, EvalError> {
    let path = dir.join("public_labels.csv");
    let text = std::fs::read_to_string(&path).map_err(|e| EvalError::Io {
        path: path.clone(),
        source: e,
    })?;
    let mut m = BTreeMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let bad = |what| EvalError::Line {
            path: path.clone(),
            line: i + 1,
            what,
        };
        let (name, flag) = line
            .split_once(',')
            .ok_or_else(|| bad("expected 2 fields"))?;
        let illegal = match flag.trim() {
            "0" => false,
            "1" => true,
            _ => return Err(bad("is_illegal must be 0 or 1")),
        };
        m.insert(name.trim().to_string(), illegal);
    }
    Ok(m)
}

/// Loads every user of `training_files/` with its labelled sessions of `test_files/`
/// (unlabelled test sessions are not read). Files are parsed on `threads` threads.
pub fn load(dir: &Path, threads: usize, progress: bool) -> Result<Vec<UserData>, EvalError> {
    let labels = labels(dir)?;
    let train_dir = dir.join("training_files");
    let mut users: Vec<(u32, PathBuf)> = std::fs::read_dir(&train_dir)
        .map_err(|e| EvalError::Io {
            path: train_dir.clone(),
            source: e,
        })?
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| user_id(&p).map(|u| (u, p)))
        .collect();
    users.sort();
    if users.is_empty() {
        return Err(EvalError::NoData(format!(
            "no userN folders under {}",
            train_dir.display()
        )));
    }
    // (user, test?, label, path) for every file to read.
    let mut files: Vec<(u32, Option<bool>, PathBuf)> = Vec::new();
    for (u, p) in &users {
        files.extend(sessions_in(p)?.into_iter().map(|f| (*u, None, f)));
        let test = dir.join("test_files").join(format!("user{u}"));
        if test.is_dir() {
            for f in sessions_in(&test)? {
                if let Some(&ill) = labels.get(&session_name(&f)) {
                    files.push((*u, Some(ill), f));
                }
            }
        }
    }
    let parsed = par::map(&files, threads, "balabit: files", progress, |(_, _, f)| {
        read_maybe_gz(f).and_then(|b| parse(&b, f))
    });
    let mut out: Vec<UserData> = users
        .iter()
        .map(|&(id, _)| UserData {
            id,
            train: Vec::new(),
            test: Vec::new(),
        })
        .collect();
    for ((u, label, f), rows) in files.iter().zip(parsed) {
        let s = SessionData {
            name: session_name(f),
            rows: rows?,
        };
        let Some(user) = out.iter_mut().find(|x| x.id == *u) else {
            continue;
        };
        match label {
            None => user.train.push(s),
            Some(ill) => user.test.push((s, *ill)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pointer::ActionKind;

    const CSV: &str = "record timestamp,client timestamp,button,state,x,y
0.0,0.0,NoButton,Move,100,100
0.0,0.016,NoButton,Move,110,100
0.0,0.031,NoButton,Move,120,102
0.0,0.047,NoButton,Move,130,104
0.0,0.063,NoButton,Move,140,106
0.0,0.078,NoButton,Move,65535,65535
0.0,0.094,NoButton,Move,150,108
0.0,0.3,Left,Pressed,150,108
0.0,0.39,Left,Released,150,108
0.0,2.0,Scroll,Down,150,108
record timestamp,client timestamp,button,state,x,y
";

    #[test]
    fn rows_become_displacements_buttons_and_detents() {
        let rows = parse(CSV.as_bytes(), Path::new("t.csv")).unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[5].pos, None);
        let ev = raw_events(&rows);
        let rel: Vec<(u16, i32)> = ev
            .iter()
            .filter(|e| e.kind == EV_REL)
            .map(|e| (e.code, e.value))
            .collect();
        // 4 moves of (10, ≤2), nothing across the off-screen row, one wheel detent.
        assert_eq!(
            rel,
            vec![
                (0, 10),
                (0, 10),
                (1, 2),
                (0, 10),
                (1, 2),
                (0, 10),
                (1, 2),
                (8, -1)
            ]
        );
        let acts = actions(&rows, SegmentParams::default());
        let kinds: Vec<ActionKind> = acts.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, vec![ActionKind::PointClick, ActionKind::Scroll]);
        assert_eq!(acts[0].path.len(), 4);
    }

    #[test]
    fn malformed_lines_name_the_line_not_the_content() {
        let err = parse(b"record\n1,2,3\n", Path::new("s.csv")).unwrap_err();
        assert_eq!(err.to_string(), "s.csv:2: expected 6 fields");
        let err = parse(b"0,x,NoButton,Move,1,2\n", Path::new("s.csv")).unwrap_err();
        assert_eq!(err.to_string(), "s.csv:1: bad client timestamp");
    }
}
