//! Text output of the control commands (pure). Meant for people; scripts use `--json`.

use crate::ipc::types::{AdminStatus, ProfileView, Reloaded, SessionView, Status};
use std::fmt::Write as _;

/// `status` for everyone.
pub fn status(s: &Status) -> String {
    format!(
        "typewarden {} (API {}): mode {}, {} keyboard{} read\n",
        s.version,
        s.api_version,
        s.mode,
        s.keyboards,
        plural(s.keyboards.into())
    )
}

/// `status` for administrators.
pub fn admin_status(s: &AdminStatus) -> String {
    let mut o = format!(
        "typewarden {} (API {}): mode {}{}, {} keyboard{} read\n",
        s.version,
        s.api_version,
        s.mode,
        if s.mode == s.configured_mode {
            String::new()
        } else {
            format!(" (configured: {})", s.configured_mode)
        },
        s.keyboards,
        plural(s.keyboards.into())
    );
    match s.pause_remaining_s {
        Some(left) if s.paused => {
            let _ = writeln!(o, "paused: verification resumes in {}", duration(left));
        }
        _ => o.push_str("paused: no\n"),
    }
    let degraded = if s.degraded.is_empty() {
        "none".to_string()
    } else {
        s.degraded.join(", ")
    };
    let _ = writeln!(o, "degraded: {degraded}");
    let _ = writeln!(o, "profiles in memory: {}", s.profiles_loaded);
    let _ = writeln!(o, "configuration: {}", s.config_hash);
    if s.sessions.is_empty() {
        o.push_str("sessions: none\n");
    }
    for v in &s.sessions {
        o.push_str(&session(v));
    }
    o
}

fn session(v: &SessionView) -> String {
    let trust = match (v.trust, v.suspicion) {
        (Some(t), Some(s)) => format!(
            ", trust {t:.1}% (suspicion {:.0}% of the lock level)",
            s * 100.0
        ),
        _ => String::new(),
    };
    format!(
        "{}: session {} of {} (uid {}), {}{}, {}; {} keystrokes since unlock\n",
        v.seat,
        v.session,
        v.user,
        v.uid,
        v.state,
        trust,
        if v.scoring { "scoring" } else { "not scoring" },
        v.scored_since_unlock
    )
}

/// `profile show`.
pub fn profile(p: &ProfileView) -> String {
    let mut o = String::new();
    let who = match (&p.user, p.uid) {
        (Some(u), _) => format!(" ({u})"),
        _ => String::new(),
    };
    let _ = writeln!(o, "profile:      {}{who}", p.profile);
    let percent = match (p.enrollment_percent, p.pointer_enrollment_percent) {
        (Some(k), Some(m)) => format!(", enrollment: typing {k}%, pointer {m}%"),
        (Some(k), None) => format!(", enrollment {k}%"),
        _ => String::new(),
    };
    let _ = writeln!(o, "state:        {}{percent}", p.state);
    if let Some(k) = p.keystrokes {
        let _ = writeln!(
            o,
            "learned:      {k} keystrokes, coverage {:.2}, {} keys, {} key pairs",
            p.coverage.unwrap_or(0.0),
            p.keys_seen.unwrap_or(0),
            p.key_pairs_seen.unwrap_or(0)
        );
    }
    if let Some(a) = p.pointer_actions {
        let _ = writeln!(
            o,
            "pointer:      {a} actions, {} kinds of action giving evidence",
            p.pointer_kinds_ready.unwrap_or(0)
        );
    }
    for (name, v) in [
        ("hold:        ", p.hold_ms),
        ("press→press: ", p.press_press_ms),
        ("release→press:", p.release_press_ms),
    ] {
        if let Some((t, lo, hi)) = v {
            let _ = writeln!(o, "{name} typical {t} ms (one sd: {lo} to {hi} ms)");
        }
    }
    let file = if p.file_present {
        format!(
            "{}, {} bytes, modified {}",
            p.file_path,
            p.file_size.unwrap_or(0),
            p.file_mtime.map_or_else(|| "?".into(), utc)
        )
    } else {
        format!("{} (not written yet)", p.file_path)
    };
    let _ = writeln!(o, "file:         {file}");
    let _ = writeln!(
        o,
        "in memory:    {}{}",
        yes(p.loaded),
        if p.unsaved { ", unsaved learning" } else { "" }
    );
    let _ = writeln!(
        o,
        "quarantined:  {} cop{}",
        p.quarantined_copies,
        if p.quarantined_copies == 1 {
            "y"
        } else {
            "ies"
        }
    );
    o.push_str("Only timing statistics are kept: never what was typed.\n");
    o
}

/// `profile list`.
pub fn profile_list(list: &[ProfileView]) -> String {
    if list.is_empty() {
        return "no profiles\n".into();
    }
    let mut o = format!(
        "{:<20} {:<16} {:<13} {:>6} {:>10} {:>9}  {}\n",
        "PROFILE", "USER", "STATE", "ENROLL", "KEYSTROKES", "BYTES", "MODIFIED"
    );
    for p in list {
        let _ = writeln!(
            o,
            "{:<20} {:<16} {:<13} {:>6} {:>10} {:>9}  {}",
            p.profile,
            p.user.as_deref().unwrap_or("-"),
            p.state,
            p.enrollment_percent.map_or("-".into(), |e| format!("{e}%")),
            p.keystrokes.map_or("-".into(), |k| k.to_string()),
            p.file_size.map_or("-".into(), |s| s.to_string()),
            p.file_mtime.map_or_else(|| "-".into(), utc)
        );
    }
    o
}

/// `reload`.
pub fn reloaded(r: &Reloaded) -> String {
    let mut o = format!(
        "configuration {} ({})\n",
        if r.changed { "reloaded" } else { "unchanged" },
        r.config_hash
    );
    if !r.restart_needed.is_empty() {
        let _ = writeln!(
            o,
            "takes effect after a restart: {}",
            r.restart_needed.join(", ")
        );
    }
    o
}

/// `1h 30m`, `45s`.
pub fn duration(s: u64) -> String {
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec}s"));
    }
    parts.join(" ")
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(t: u64) -> String {
    let days = i64::try_from(t / 86_400).unwrap_or(0);
    let rem = t % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_render() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(duration(5400), "1h 30m");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(0), "0s");
    }
}
