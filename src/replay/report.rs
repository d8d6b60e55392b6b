//! `typewarden replay`: load traces, summarise every device, render text or JSON.
//!
//! Invariant: what is rendered comes from [`DeviceSummary`] and the device's name and
//! identity, never from events, so no key code or key name can reach the output.

use super::{summarize, DeviceSummary};
use crate::core::clean::CleanParams;
use crate::core::timing::CutReason;
use crate::trace::{self, ClockDomain, TraceError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One device of one file.
#[derive(Debug, Serialize)]
pub struct DeviceReport {
    /// Device name from the recorded description, if any.
    pub name: Option<String>,
    /// `vendor:product` from the description, if any.
    pub id: Option<String>,
    /// What the timestamps are relative to.
    pub clock: ClockDomain,
    /// The figures.
    #[serde(flatten)]
    pub summary: DeviceSummary,
}

/// One file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The file as given.
    pub path: PathBuf,
    /// Detected format.
    pub format: String,
    /// Its devices.
    pub devices: Vec<DeviceReport>,
}

/// Sums over every device of every file that loaded.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    /// Files that loaded.
    pub files: usize,
    /// Devices in them.
    pub devices: usize,
    /// Raw events read.
    pub events: usize,
    /// Complete keystrokes after cleaning.
    pub keystrokes: u64,
    /// Cuts by reason.
    pub cuts: BTreeMap<CutReason, u64>,
}

/// The whole replay.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Files that loaded, in argument order.
    pub files: Vec<FileReport>,
    /// Files that did not, as `file:line: what is wrong`.
    pub errors: Vec<String>,
    /// Sums.
    pub totals: Totals,
}

/// Loads and summarises every file; a bad file is reported and the rest still run.
pub fn replay_files(paths: &[PathBuf], params: CleanParams) -> Report {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match replay_file(p, params) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let mut totals = Totals {
        files: files.len(),
        ..Totals::default()
    };
    for d in files.iter().flat_map(|f| &f.devices) {
        totals.devices += 1;
        totals.events += d.summary.events;
        totals.keystrokes += d.summary.clean.keystrokes;
        for (r, n) in &d.summary.clean.cuts {
            *totals.cuts.entry(*r).or_default() += n;
        }
    }
    Report {
        files,
        errors,
        totals,
    }
}

fn replay_file(path: &Path, params: CleanParams) -> Result<FileReport, TraceError> {
    let t = trace::load(path)?;
    let devices = t
        .devices
        .iter()
        .map(|d| DeviceReport {
            name: d.description.as_ref().map(|c| c.name.clone()),
            id: d
                .description
                .as_ref()
                .map(|c| format!("{:04x}:{:04x}", c.id.vendor, c.id.product)),
            clock: d.clock,
            summary: summarize(&d.events, params),
        })
        .collect();
    Ok(FileReport {
        path: path.to_path_buf(),
        format: t.format.name().to_string(),
        devices,
    })
}

impl Report {
    /// Human-readable summary.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for f in &self.files {
            let _ = writeln!(s, "{} ({})", f.path.display(), f.format);
            for (i, d) in f.devices.iter().enumerate() {
                let name = d.name.as_deref().unwrap_or("(no description)");
                let id = d.id.as_deref().unwrap_or("-");
                let _ = writeln!(s, "  device {i}: {name} [{id}]");
                write_device(&mut s, &d.summary);
            }
        }
        let t = &self.totals;
        let _ = writeln!(
            s,
            "total: {} file(s), {} device(s), {} events, {} keystrokes, cuts: {}",
            t.files,
            t.devices,
            t.events,
            t.keystrokes,
            cuts_text(&t.cuts)
        );
        s
    }
}

fn write_device(s: &mut String, d: &DeviceSummary) {
    let c = &d.clean;
    let _ = writeln!(
        s,
        "    events {} over {:.3} s, keystrokes {}",
        d.events, d.duration_s, c.keystrokes
    );
    let _ = writeln!(s, "    cuts: {}", cuts_text(&c.cuts));
    let _ = writeln!(
        s,
        "    cleaned: orphan releases {}, autorepeats {}, chatter bounces {}, duplicate presses {}, overruns {} ({} events dropped), clock steps {}, long holds {}, invalid values {}",
        c.orphan_releases, c.autorepeats, c.chatter_bounces, c.duplicate_presses, c.overruns, c.dropped_events, c.clock_steps, c.long_holds, c.invalid_values
    );
    for (label, sp) in [
        ("hold", &d.hold),
        ("press→press", &d.press_press),
        ("release→press", &d.release_press),
    ] {
        if let (Some(m), Some(lo), Some(hi)) = (sp.median_ms, sp.p10_ms, sp.p90_ms) {
            let _ = writeln!(
                s,
                "    {label}: n={} median {m:.1} ms (p10 {lo:.1}, p90 {hi:.1})",
                sp.count
            );
        }
    }
}

fn cuts_text(cuts: &BTreeMap<CutReason, u64>) -> String {
    if cuts.is_empty() {
        return "none".into();
    }
    cuts.iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
