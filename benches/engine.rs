//! Engine cost per keystroke on one core (verification with adaptation, and enrollment),
//! plus the serialized profile size. Reports only; nothing is asserted.
//!
//! Run: `cargo bench --bench engine`.

use std::time::Instant;
use typewarden::core::timing::{DeviceId, TimingEvent};
use typewarden::engine::wire::ProfileFile;
use typewarden::engine::{Engine, EngineParams, SourceKind};
use typewarden::eval::rng::SplitMix64;
use typewarden::eval::timeline::{clean, KeyRec};

/// A synthetic typist: letters and space with per-digraph log-normal timing.
fn typing(seed: u64, n: usize) -> Vec<KeyRec> {
    const CODES: [u16; 27] = [
        30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17,
        45, 21, 44, 57,
    ];
    let mut r = SplitMix64::new(seed);
    let mu: Vec<f64> = (0..27 * 27)
        .map(|_| 190f64.ln() + 0.35 * r.normal())
        .collect();
    let (mut t, mut prev) = (0i64, 26usize);
    (0..n)
        .map(|_| {
            let k = if r.f64() < 0.2 { 26 } else { r.below(26) };
            t += ((mu[prev * 27 + k] + 0.22 * r.normal()).exp() * 1000.0) as i64;
            prev = k;
            let hold = ((95f64.ln() + 0.15 * r.normal()).exp() * 1000.0) as i64;
            KeyRec {
                code: CODES[k],
                press_us: t,
                release_us: t + hold,
            }
        })
        .collect()
}

fn time_feed(e: &mut Engine, t: &[TimingEvent], keystrokes: usize) -> f64 {
    let mut out = Vec::new();
    let start = Instant::now();
    for ev in t {
        out.clear();
        e.on_timing(std::hint::black_box(ev), SourceKind::Keyboard, &mut out);
    }
    start.elapsed().as_nanos() as f64 / keystrokes as f64
}

fn main() {
    let p = EngineParams::default();
    let enroll = clean(&typing(1, 3000), DeviceId(1));
    let mut e = Engine::new(p.clone());
    e.on_unlock(0);
    let ns_enroll = time_feed(&mut e, &enroll, 3000);
    assert!(e.profile().is_mature(), "bench profile did not mature");
    let n = 200_000;
    let verify = clean(&typing(1, n), DeviceId(1));
    let mut best = f64::MAX;
    for _ in 0..5 {
        let mut v = Engine::with_profile(p.clone(), e.profile().clone());
        v.on_unlock(0);
        best = best.min(time_feed(&mut v, &verify, n));
    }
    let size = serde_json::to_string(&ProfileFile::from(e.profile())).map_or(0, |s| s.len());
    println!("engine enrollment: {ns_enroll:.0} ns/keystroke");
    println!("engine verification (score + policy + adaptation + injection): {best:.0} ns/keystroke (best of 5, {n} keystrokes)");
    println!("profile: {size} bytes serialized (JSON)");
}
