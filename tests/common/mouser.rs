//! Deterministic synthetic mouse users for pointer tests and benchmarks.
//!
//! A person points at targets: each movement covers a log-normal distance in a random
//! direction, takes a Fitts'-law time (personal intercept and slope), follows a
//! minimum-jerk speed profile with a personal sideways bow and overshoot, and usually ends
//! in a click after a personal pause, held for a personal time. Reports come at the mouse's
//! rate (125 Hz by default), as `REL_X`/`REL_Y` + `SYN_REPORT` frames with sub-count motion
//! carried over, like a real sensor. Two seeds are two people.

use typewarden::core::event::{RawEvent, EV_KEY, EV_REL, EV_SYN, SYN_REPORT};
use typewarden::eval::rng::SplitMix64;

/// A synthetic person at a mouse.
pub struct Mouser {
    fitts_a_ms: f64,
    fitts_b_ms: f64,
    dist_mu: f64,
    bow: f64,
    overshoot: f64,
    pause_mu: f64,
    hold_mu: f64,
    gap_mu: f64,
    click_p: f64,
    rng: SplitMix64,
    /// Report period (µs).
    pub period_us: i64,
}

impl Mouser {
    /// Person `seed`.
    pub fn new(seed: u64) -> Self {
        let mut me = SplitMix64::new(seed.wrapping_mul(0x9e37).wrapping_add(17));
        let mut j = |base: f64, spread: f64| base * (spread * me.normal()).exp();
        Self {
            fitts_a_ms: j(120.0, 0.35),
            fitts_b_ms: j(150.0, 0.3),
            dist_mu: j(300.0, 0.3).ln(),
            bow: j(0.08, 0.6),
            overshoot: j(0.04, 0.6),
            pause_mu: j(250.0, 0.4).ln(),
            hold_mu: j(100.0, 0.3).ln(),
            gap_mu: j(400.0, 0.4).ln(),
            click_p: 0.7,
            rng: SplitMix64::new(seed ^ 0x5eed),
            period_us: 8_000,
        }
    }

    fn frame(out: &mut Vec<RawEvent>, t: i64, evs: &[(u16, u16, i32)]) {
        for &(k, c, v) in evs {
            out.push(RawEvent::new(t, k, c, v));
        }
        out.push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
    }

    /// `n` actions starting at `t0_us`; returns the events and the time after the last.
    pub fn actions(&mut self, n: usize, t0_us: i64) -> (Vec<RawEvent>, i64) {
        let mut out = Vec::new();
        let mut t = t0_us;
        let r = &mut self.rng;
        for _ in 0..n {
            let dist = (self.dist_mu + 0.6 * r.normal()).exp().clamp(20.0, 3000.0);
            let ang = r.f64() * std::f64::consts::TAU;
            let dur_ms = (self.fitts_a_ms + self.fitts_b_ms * (1.0 + dist / 20.0).log2())
                * (0.12 * r.normal()).exp();
            let steps = ((dur_ms * 1000.0) / self.period_us as f64).ceil().max(2.0) as usize;
            let bow = self.bow * (1.0 + 0.3 * r.normal());
            let over = self.overshoot * (1.0 + 0.3 * r.normal());
            let (mut cx, mut cy) = (0.0f64, 0.0f64);
            let (mut sx, mut sy) = (0i64, 0i64);
            for k in 1..=steps {
                let tau = k as f64 / steps as f64;
                // Minimum-jerk position along the chord (with overshoot), bow sideways.
                let s = 10.0 * tau.powi(3) - 15.0 * tau.powi(4) + 6.0 * tau.powi(5);
                let along = dist * (s * (1.0 + over) - over * tau.powi(8));
                let side = dist * bow * (std::f64::consts::PI * tau).sin();
                let (x, y) = (
                    along * ang.cos() - side * ang.sin(),
                    along * ang.sin() + side * ang.cos(),
                );
                cx += x - cx;
                cy += y - cy;
                let (ix, iy) = (cx.round() as i64, cy.round() as i64);
                let (dx, dy) = ((ix - sx) as i32, (iy - sy) as i32);
                (sx, sy) = (ix, iy);
                t += self.period_us;
                if dx != 0 || dy != 0 {
                    let mut evs = Vec::new();
                    if dx != 0 {
                        evs.push((EV_REL, 0, dx));
                    }
                    if dy != 0 {
                        evs.push((EV_REL, 1, dy));
                    }
                    Self::frame(&mut out, t, &evs);
                }
            }
            if r.f64() < self.click_p {
                t += ((self.pause_mu + 0.3 * r.normal()).exp() * 1000.0) as i64;
                Self::frame(&mut out, t, &[(EV_KEY, 0x110, 1)]);
                t += ((self.hold_mu + 0.2 * r.normal()).exp() * 1000.0) as i64;
                Self::frame(&mut out, t, &[(EV_KEY, 0x110, 0)]);
            }
            t += ((self.gap_mu + 0.5 * r.normal()).exp() * 1000.0).max(600_000.0) as i64;
        }
        (out, t)
    }
}

/// The pointer events of raw events on `device`, through the real aggregation and
/// segmentation, with the quiet-device flushes the live reader's timer would fire.
#[allow(dead_code)]
pub fn pointer_events(
    raw: &[RawEvent],
    device: u32,
) -> Vec<typewarden::core::pointer::PointerEvent> {
    use typewarden::core::pointer::{PointerTap, SegmentParams};
    use typewarden::core::timing::DeviceId;
    let mut tap = PointerTap::new(DeviceId(device), SegmentParams::default());
    let mut out = Vec::new();
    for e in raw {
        while let Some(d) = tap.deadline().filter(|&d| d <= e.time_us) {
            tap.flush(d, &mut out);
        }
        tap.push(e, &mut out);
    }
    tap.finish(raw.last().map_or(0, |e| e.time_us), &mut out);
    out
}

/// The pointer profile an engine learns from `n` actions of `Mouser::new(seed)` (no
/// typing).
#[allow(dead_code)]
pub fn enrolled_pointer(seed: u64, n: usize) -> typewarden::engine::pointer::PointerProfile {
    use typewarden::engine::{pointer::PointerSource, Engine, EngineParams};
    let mut e = Engine::new(EngineParams::default());
    e.on_unlock(0);
    let (raw, _) = Mouser::new(seed).actions(n, 1_000_000);
    let mut out = Vec::new();
    for ev in &pointer_events(&raw, 2) {
        e.on_pointer(ev, PointerSource::Physical, &mut out);
    }
    e.pointer_profile().clone()
}
