//! Pointer modality cost (issue 8). Reports only; nothing is asserted.
//!
//! 1. Aggregation in the reader: raw 24-byte `input_event` records of an 8 kHz (and a
//!    1 kHz) mouse → decode → cleaning core (which ignores pointer events) → `PointerTap`
//!    (64 Hz frames, segmentation), against a floor loop that only decodes the records.
//!    Prints ns per raw event, events/s, and how many channel messages (actions) per
//!    second of mouse time reach the decision loop.
//! 2. The engine per action (features, distance, policy) with a mature pointer profile.
//! 3. Stored profile size: a pointer profile with every mouse model in use, alone and with
//!    a full keystroke profile, against the 256 KiB container limit.
//!
//! Run: `cargo bench --bench pointer`.

#[path = "../tests/common/mouser.rs"]
mod mouser;

use std::hint::black_box;
use std::time::Instant;
use typewarden::core::clean::{CleanParams, Cleaner};
use typewarden::core::event::{RawEvent, EV_KEY, EV_REL, EV_SYN, INPUT_EVENT_SIZE, SYN_REPORT};
use typewarden::core::pointer::{
    ActionKind, Button, PointerAction, PointerTap, SegmentParams, Step, Surface,
};
use typewarden::core::timing::DeviceId;
use typewarden::daemon::profile_file::StoredProfile;
use typewarden::engine::pointer::{PointerParams, PointerProfile, PointerSource};
use typewarden::engine::{Engine, EngineParams, SourceKind};
use typewarden::eval::rng::SplitMix64;
use typewarden::eval::timeline::{clean, KeyRec};

/// `secs` of a mouse reporting every `period_us`: sweeps with a click every 2 s.
fn stream(period_us: i64, secs: i64) -> Vec<u8> {
    let mut b = Vec::new();
    let mut push = |e: RawEvent| b.extend_from_slice(&e.to_bytes());
    let mut t = 1_000_000;
    let end = t + secs * 1_000_000;
    let mut k: i64 = 0;
    while t < end {
        let phase = (t / 1000) % 2000; // ms within a 2 s cycle
        if phase < 1400 {
            push(RawEvent::new(
                t,
                EV_REL,
                0,
                if (k / 700) % 2 == 0 { 1 } else { -1 },
            ));
            if k % 3 == 0 {
                push(RawEvent::new(t, EV_REL, 1, 1));
            }
            push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
        } else if phase == 1600 && t % 1000 < period_us {
            push(RawEvent::new(t, EV_KEY, 0x110, 1));
            push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
        } else if phase == 1700 && t % 1000 < period_us {
            push(RawEvent::new(t, EV_KEY, 0x110, 0));
            push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
        }
        t += period_us;
        k += 1;
    }
    b
}

fn records(bytes: &[u8]) -> impl Iterator<Item = &[u8; INPUT_EVENT_SIZE]> {
    bytes
        .chunks_exact(INPUT_EVENT_SIZE)
        .filter_map(|c| c.try_into().ok())
}

fn floor(bytes: &[u8]) -> u64 {
    let mut acc = 0u64;
    for r in records(bytes) {
        let e = RawEvent::from_bytes(black_box(r));
        acc = acc.wrapping_add(e.time_us as u64 ^ u64::from(e.code) ^ e.value as u64);
    }
    acc
}

/// What the reader does per record; returns the channel messages produced.
fn reader_path(bytes: &[u8]) -> usize {
    let mut c = Cleaner::new(DeviceId(1), CleanParams::default());
    let mut tap = PointerTap::new(DeviceId(1), SegmentParams::default());
    let (mut timing, mut pointer, mut msgs) = (Vec::new(), Vec::new(), 0);
    for r in records(bytes) {
        let e = RawEvent::from_bytes(black_box(r));
        c.push(&e, &mut timing);
        tap.push(&e, &mut pointer);
        msgs += timing.len() + pointer.len();
        timing.clear();
        pointer.clear();
    }
    msgs
}

fn best_ns(n: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t0 = Instant::now();
        f();
        best = best.min(t0.elapsed().as_nanos() as f64);
    }
    best / n as f64
}

fn aggregation() {
    for (label, period, secs) in [("8 kHz", 125, 30), ("1 kHz", 1000, 120)] {
        let bytes = stream(period, secs);
        let n = bytes.len() / INPUT_EVENT_SIZE;
        let floor_ns = best_ns(n, || {
            black_box(floor(&bytes));
        });
        let mut msgs = 0;
        let path_ns = best_ns(n, || {
            msgs = reader_path(&bytes);
        });
        println!(
            "pointer aggregation, {label} mouse: {path_ns:.1} ns/event ({:.1} M events/s) \
             decode+clean+aggregate, floor {floor_ns:.1} ns/event; {n} raw events over {secs} s \
             → {msgs} channel messages ({:.2}/s of mouse time, vs {:.0} raw events/s)",
            1e3 / path_ns,
            msgs as f64 / secs as f64,
            n as f64 / secs as f64,
        );
    }
}

fn engine_per_action() -> Engine {
    let mut owner = mouser::Mouser::new(3);
    let (raw, end) = owner.actions(3000, 1_000_000);
    let mut e = Engine::new(EngineParams::default());
    e.on_unlock(0);
    let mut out = Vec::new();
    let t0 = Instant::now();
    let enroll = mouser::pointer_events(&raw, 2);
    for ev in &enroll {
        e.on_pointer(ev, PointerSource::Physical, &mut out);
    }
    let n_enroll = enroll.len();
    let enroll_ns = t0.elapsed().as_nanos() as f64 / n_enroll as f64;
    let (raw, _) = owner.actions(5000, end);
    let verify = mouser::pointer_events(&raw, 2);
    let profile = e.pointer_profile().clone();
    let ns = best_ns(verify.len(), || {
        let mut v = Engine::with_profiles(
            EngineParams::default(),
            Default::default(),
            Default::default(),
            profile.clone(),
        );
        v.on_unlock(0);
        let mut out = Vec::new();
        for ev in &verify {
            v.on_pointer(black_box(ev), PointerSource::Physical, &mut out);
        }
    });
    println!(
        "pointer engine: enrollment {enroll_ns:.0} ns/action ({n_enroll} actions); \
         verification (features + distance + policy) {ns:.0} ns/action (best of 7, {} actions)",
        verify.len()
    );
    e
}

/// A pointer profile with every model and direction stratum of both surfaces in use: the
/// largest a stored pointer profile gets.
fn full_pointer_profile() -> PointerProfile {
    let p = PointerParams::default();
    let mut prof = PointerProfile::new();
    let mut r = SplitMix64::new(9);
    let mut t = 0i64;
    for i in 0..6000 {
        let surface = if i % 2 == 0 {
            Surface::Mouse
        } else {
            Surface::Touchpad
        };
        let kind = ActionKind::ALL[(i / 2) % 5];
        let angle = r.f64() * std::f64::consts::TAU;
        let scale = if r.f64() < 0.5 { 2.0 } else { 12.0 };
        let path: Vec<Step> = (0..8 + r.below(20))
            .map(|_| {
                t += 15_625;
                Step {
                    t_us: t,
                    dx: (scale * angle.cos() * (1.0 + 0.3 * r.normal())) as i32,
                    dy: (scale * angle.sin() * (1.0 + 0.3 * r.normal())) as i32,
                }
            })
            .collect();
        let ticks = (0..1 + r.below(6))
            .map(|_| {
                t += 40_000 + r.below(80_000) as i64;
                Step {
                    t_us: t,
                    dx: 0,
                    dy: 1,
                }
            })
            .collect();
        let press = t + 150_000 + r.below(200_000) as i64;
        let a = PointerAction {
            kind,
            surface,
            button: Some(Button::Left),
            start_us: t,
            end_us: press + 90_000,
            path: if matches!(kind, ActionKind::Click | ActionKind::Scroll) {
                Vec::new()
            } else {
                path
            },
            press_us: Some(press),
            release_us: Some(press + 60_000 + r.below(60_000) as i64),
            ticks,
            since_prev_us: Some(500_000 + r.below(2_000_000) as i64),
        };
        prof.learn(&a, &p);
        t += 2_000_000;
    }
    prof
}

/// A keystroke profile of a synthetic typist on 27 keys (random text, log-normal timing).
fn keystroke_profile() -> typewarden::engine::Profile {
    const CODES: [u16; 27] = [
        30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17,
        45, 21, 44, 57,
    ];
    let mut r = SplitMix64::new(1);
    let mut t = 0i64;
    let keys: Vec<KeyRec> = (0..3000)
        .map(|_| {
            t += ((190f64.ln() + 0.3 * r.normal()).exp() * 1000.0) as i64;
            let hold = ((95f64.ln() + 0.15 * r.normal()).exp() * 1000.0) as i64;
            KeyRec {
                code: CODES[r.below(27)],
                press_us: t,
                release_us: t + hold,
            }
        })
        .collect();
    let mut e = Engine::new(EngineParams::default());
    e.on_unlock(0);
    let mut out = Vec::new();
    for ev in clean(&keys, DeviceId(1)) {
        e.on_timing(&ev, SourceKind::Keyboard, &mut out);
    }
    e.profile().clone()
}

/// The largest keystroke profile: every digraph of the keyboard seen (the stored form keeps
/// the 2,500 most frequent), as the engine's own wire test builds it.
fn full_keystroke_profile() -> typewarden::engine::Profile {
    use typewarden::core::keyslot::{KeySlot, SLOT_COUNT};
    use typewarden::engine::{Keystroke, Link};
    let p = EngineParams::default();
    let mut prof = typewarden::engine::Profile::new();
    for a in 0..SLOT_COUNT as u8 {
        for b in 0..SLOT_COUNT as u8 {
            for r in 0..3 {
                let link = Some(Link {
                    prev: KeySlot(a),
                    dd_us: 150_000 + r * 7_919,
                    ud_us: 40_000 - r * 3_001,
                });
                let ks = Keystroke {
                    slot: KeySlot(b),
                    press_us: 0,
                    release_us: 90_000 + r * 1_009,
                    link,
                };
                prof.learn(&ks, &p);
            }
        }
    }
    prof
}

fn sizes(e: &Engine) {
    let json = |p: &StoredProfile| serde_json::to_string(p).map_or(0, |s| s.len());
    let keys = keystroke_profile();
    let full = full_pointer_profile();
    println!(
        "stored profile (JSON payload): keystrokes only {} bytes; + the mouse-only pointer \
         profile above ({} actions) {} bytes; + a pointer profile with every model and \
         stratum of mouse and touchpad in use {} bytes; worst case (every digraph and every \
         pointer model) {} bytes; container limit {} bytes",
        json(&StoredProfile::from(keys.clone())),
        e.pointer_profile().actions(),
        json(&StoredProfile {
            keys: keys.clone(),
            pointer: e.pointer_profile().clone(),
        }),
        json(&StoredProfile {
            keys,
            pointer: full.clone(),
        }),
        json(&StoredProfile {
            keys: full_keystroke_profile(),
            pointer: full,
        }),
        typewarden::store::MAX_PAYLOAD
    );
}

fn main() {
    aggregation();
    let e = engine_per_action();
    sizes(&e);
}
