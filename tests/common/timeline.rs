//! A small timeline DSL for cleaning-core tests, in the style of kanata's sim tests.
//!
//! Input: whitespace-separated steps, time advancing only with `t:`:
//! - `t:50` advance 50 ms; `step:-2000` jump the clock (may go backwards);
//! - `d:a` press, `u:a` release, `r:a` autorepeat, `v:a:7` an invalid value; each is one
//!   frame (`EV_KEY` then `SYN_REPORT`); keys are `a`–`z`, `0`–`9`, `space`, `enter`,
//!   `shift`, `ctrl`, `alt`, `bs`, `f12`, and buttons `btn_left`, `btn_right`;
//! - `drop` the kernel's `SYN_DROPPED`; `syn` a bare `SYN_REPORT`;
//! - `resync:a,shift` (or `resync:`) the reader re-read the key state: these keys are down;
//! - `rm` device removed; `end` the recording ended.
//!
//! Output: one token per timing event, `<ms>:dn:<key>`, `<ms>:up:<key>` or
//! `<ms>:cut:<reason>`. Key names exist only here, in test code: the product maps codes to
//! opaque slots and never names keys.

use typewarden::core::clean::{CleanParams, Cleaner};
use typewarden::core::event::{RawEvent, EV_KEY, EV_SYN, SYN_DROPPED, SYN_REPORT};
use typewarden::core::keyslot::slot_for_code;
use typewarden::core::timing::{DeviceId, Edge, TimingEvent, TimingKind};

/// Test-only key names → Linux key codes (`input-event-codes.h`).
pub const KEYS: &[(&str, u16)] = &[
    ("1", 2),
    ("2", 3),
    ("3", 4),
    ("4", 5),
    ("5", 6),
    ("6", 7),
    ("7", 8),
    ("8", 9),
    ("9", 10),
    ("0", 11),
    ("q", 16),
    ("w", 17),
    ("e", 18),
    ("r", 19),
    ("t", 20),
    ("y", 21),
    ("u", 22),
    ("i", 23),
    ("o", 24),
    ("p", 25),
    ("a", 30),
    ("s", 31),
    ("d", 32),
    ("f", 33),
    ("g", 34),
    ("h", 35),
    ("j", 36),
    ("k", 37),
    ("l", 38),
    ("z", 44),
    ("x", 45),
    ("c", 46),
    ("v", 47),
    ("b", 48),
    ("n", 49),
    ("m", 50),
    ("bs", 14),
    ("enter", 28),
    ("ctrl", 29),
    ("shift", 42),
    ("alt", 56),
    ("space", 57),
    ("f12", 88),
    ("btn_left", 0x110),
    ("btn_right", 0x111),
];

pub fn code(name: &str) -> u16 {
    KEYS.iter()
        .find(|(n, _)| *n == name)
        .map(|k| k.1)
        .unwrap_or_else(|| panic!("unknown key {name}"))
}

fn name_of(slot: typewarden::core::keyslot::KeySlot) -> &'static str {
    KEYS.iter()
        .find(|(_, c)| slot_for_code(*c) == Some(slot))
        .map(|k| k.0)
        .unwrap_or("?")
}

fn ms(t_us: i64) -> String {
    if t_us % 1000 == 0 {
        format!("{}", t_us / 1000)
    } else {
        format!("{:.3}", t_us as f64 / 1000.0)
    }
}

/// Renders timing events as DSL output tokens.
pub fn render(events: &[TimingEvent]) -> String {
    events
        .iter()
        .map(|e| match e.kind {
            TimingKind::Key {
                slot,
                edge: Edge::Press,
            } => format!("{}:dn:{}", ms(e.t_us), name_of(slot)),
            TimingKind::Key {
                slot,
                edge: Edge::Release,
            } => format!("{}:up:{}", ms(e.t_us), name_of(slot)),
            TimingKind::Cut(r) => format!("{}:cut:{}", ms(e.t_us), r.as_str()),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The raw events a timeline describes (for tests that drive other layers).
pub fn raw_events(timeline: &str) -> Vec<RawEvent> {
    let mut out = Vec::new();
    run_steps(timeline, |step, _| {
        if let Step::Raw(evs) = step {
            out.extend(evs);
        }
    });
    out
}

enum Step {
    Raw(Vec<RawEvent>),
    Resync(Vec<u16>),
    Remove,
    End,
}

fn run_steps(timeline: &str, mut f: impl FnMut(Step, i64)) {
    let mut t: i64 = 0;
    let frame = |t: i64, code: u16, value: i32| {
        vec![
            RawEvent::new(t, EV_KEY, code, value),
            RawEvent::new(t, EV_SYN, SYN_REPORT, 0),
        ]
    };
    for tok in timeline.split_whitespace() {
        let (op, arg) = tok.split_once(':').unwrap_or((tok, ""));
        match op {
            "t" => t += arg.parse::<i64>().expect("t:<ms>") * 1000,
            "step" => t += arg.parse::<i64>().expect("step:<ms>") * 1000,
            "d" => f(Step::Raw(frame(t, code(arg), 1)), t),
            "u" => f(Step::Raw(frame(t, code(arg), 0)), t),
            "r" => f(Step::Raw(frame(t, code(arg), 2)), t),
            "v" => {
                let (k, v) = arg.split_once(':').expect("v:<key>:<value>");
                f(Step::Raw(frame(t, code(k), v.parse().expect("value"))), t)
            }
            "drop" => f(Step::Raw(vec![RawEvent::new(t, EV_SYN, SYN_DROPPED, 0)]), t),
            "syn" => f(Step::Raw(vec![RawEvent::new(t, EV_SYN, SYN_REPORT, 0)]), t),
            "resync" => f(
                Step::Resync(arg.split(',').filter(|s| !s.is_empty()).map(code).collect()),
                t,
            ),
            "rm" => f(Step::Remove, t),
            "end" => f(Step::End, t),
            _ => panic!("unknown timeline step {tok}"),
        }
    }
}

/// Runs a timeline through a fresh cleaner and renders what came out.
pub fn clean_with(params: CleanParams, timeline: &str) -> (String, Cleaner) {
    let mut c = Cleaner::new(DeviceId(1), params);
    let mut out = Vec::new();
    run_steps(timeline, |step, t| match step {
        Step::Raw(evs) => evs.iter().for_each(|e| c.push(e, &mut out)),
        Step::Resync(codes) => c.resync(codes, t, &mut out),
        Step::Remove => c.remove(t, &mut out),
        Step::End => c.finish(t, &mut out),
    });
    (render(&out), c)
}

/// [`clean_with`] at the default parameters.
pub fn clean(timeline: &str) -> String {
    clean_with(CleanParams::default(), timeline).0
}
