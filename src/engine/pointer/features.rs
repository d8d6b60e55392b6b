//! Per-action pointer features (pure, allocation-free).
//!
//! Owns: [`features`], which maps one [`PointerAction`] to a fixed-length vector of
//! transformed features, and the feature names.
//!
//! Movement features (movements, the movement of a point-and-click, the drag of a
//! drag-and-drop), after Ahmed & Traoré (2007) and Antal & Egyed-Zsigmond (2019), in this
//! order: duration, path length, end-to-end distance, straightness, largest deviation from
//! the chord, mean and peak speed, when the peak comes, speed variation, mean acceleration,
//! peak acceleration and deceleration, mean jerk, angular velocity, curvature, speed peaks
//! (sub-movements), pauses, the homing phase (last 10 % of the path), the chord's direction
//! (two components), the share of accelerating frames, the spread of acceleration, peak
//! jerk, horizontal against vertical travel, first and last speed, the share of frames with
//! motion, and the gap since the previous action. Point-and-clicks add the pause before the
//! press and the hold time; drags the hold time, press to first motion and last motion to
//! release; stationary clicks have hold time and the gap since the previous action; scrolls
//! count detents and their rhythm.
//!
//! Units are device units and milliseconds, transformed (log, logit) towards normal shape;
//! only differences within one person's profile matter, so units never need converting.

use crate::core::pointer::{ActionKind, PointerAction, Step, FRAME_US};

/// Features of a movement.
pub const MOVE_DIM: usize = 28;
/// Length of the vector for each kind.
pub fn dim(kind: ActionKind) -> usize {
    match kind {
        ActionKind::Move => MOVE_DIM,
        ActionKind::PointClick => MOVE_DIM + 2,
        ActionKind::DragDrop => MOVE_DIM + 3,
        ActionKind::Click => 2,
        ActionKind::Scroll => 6,
    }
}

/// The longest vector.
pub const MAX_DIM: usize = MOVE_DIM + 3;

/// A feature vector (the first `dim(kind)` entries are used).
pub type Vector = [f64; MAX_DIM];

/// Gaps are capped here (ms) before the log: a long idle is not rhythm.
const GAP_CAP_MS: f64 = 10_000.0;

fn ln1(x: f64) -> f64 {
    x.max(0.0).ln_1p()
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(0.02, 0.98);
    (p / (1.0 - p)).ln()
}

fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

fn gap_ms(us: Option<i64>) -> f64 {
    us.map_or(GAP_CAP_MS, |g| ms(g).min(GAP_CAP_MS))
}

fn wrap(a: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    let mut a = a % tau;
    if a > std::f64::consts::PI {
        a -= tau;
    } else if a < -std::f64::consts::PI {
        a += tau;
    }
    a
}

/// Movement features of a path into `out[..MOVE_DIM]`; false if the path has no motion.
fn movement(path: &[Step], out: &mut [f64]) -> bool {
    let Some(first) = path.first() else {
        return false;
    };
    let frame = ms(FRAME_US);
    // The first step's displacement happened during the frame before its stamp.
    let mut t_prev = ms(first.t_us) - frame;
    let t0 = t_prev;
    let (mut x, mut y) = (0.0f64, 0.0f64);
    let (mut len, mut v_prev, mut a_prev) = (0.0, 0.0, 0.0);
    let (mut v_sum, mut v2_sum, mut v_max, mut t_vmax) = (0.0, 0.0, 0.0f64, 0.0);
    let (mut a_abs, mut a_max, mut d_max, mut jerk) = (0.0, 0.0f64, 0.0f64, 0.0);
    let (mut turn, mut th_prev, mut pauses) = (0.0, None::<f64>, 0.0);
    let (mut peaks, mut rising) = (0.0, false);
    let (mut accel_steps, mut a2, mut jerk_max) = (0.0, 0.0, 0.0f64);
    let (mut ax_sum, mut ay_sum, mut v_first, mut v_last) = (0.0, 0.0, 0.0, 0.0);
    let n = path.len() as f64;
    for (i, s) in path.iter().enumerate() {
        let t = ms(s.t_us);
        let dt = (t - t_prev).max(frame / 2.0);
        if dt > 3.0 * frame {
            pauses += 1.0;
        }
        let (dx, dy) = (f64::from(s.dx), f64::from(s.dy));
        let d = dx.hypot(dy);
        x += dx;
        y += dy;
        len += d;
        let v = d / dt; // units per ms
        let a = (v - v_prev) / dt;
        if i > 0 {
            a_abs += a.abs();
            a2 += a * a;
            a_max = a_max.max(a);
            d_max = d_max.max(-a);
            if a > 0.0 {
                accel_steps += 1.0;
            }
            if i > 1 {
                let j = ((a - a_prev) / dt).abs();
                jerk += j;
                jerk_max = jerk_max.max(j);
            }
        } else {
            v_first = v;
        }
        v_last = v;
        ax_sum += dx.abs();
        ay_sum += dy.abs();
        if v > v_max {
            v_max = v;
            t_vmax = t - t0;
        }
        if rising && v < v_prev {
            peaks += 1.0;
        }
        rising = v > v_prev;
        v_sum += v;
        v2_sum += v * v;
        if d > 0.0 {
            let th = dy.atan2(dx);
            if let Some(p) = th_prev {
                turn += wrap(th - p).abs();
            }
            th_prev = Some(th);
        }
        v_prev = v;
        a_prev = a;
        t_prev = t;
    }
    if len <= 0.0 {
        return false;
    }
    let dur = (t_prev - t0).max(frame);
    let dist = x.hypot(y);
    // Largest perpendicular deviation from the chord, and the homing phase: time spent in
    // the last 10 % of the path length.
    let (mut px, mut py, mut dev, mut walked) = (0.0f64, 0.0f64, 0.0f64, 0.0);
    let mut t_home = ms(path.last().map_or(0, |s| s.t_us));
    for s in path {
        let (dx, dy) = (f64::from(s.dx), f64::from(s.dy));
        px += dx;
        py += dy;
        walked += dx.hypot(dy);
        if dist > 0.0 {
            dev = dev.max((px * y - py * x).abs() / dist);
        }
        if walked >= 0.9 * len {
            t_home = t_home.min(ms(s.t_us));
        }
    }
    let t_end = ms(path.last().map_or(0, |s| s.t_us));
    let v_mean = v_sum / n;
    let v_sd = (v2_sum / n - v_mean * v_mean).max(0.0).sqrt();
    let steps = (n - 1.0).max(1.0);
    let f = [
        dur.ln(),
        ln1(len),
        ln1(dist),
        logit(dist / len),
        ln1(100.0 * dev / (dist + 1.0)),
        ln1(1000.0 * len / dur),
        ln1(1000.0 * v_max),
        logit(t_vmax / dur),
        ln1(10.0 * v_sd / (v_mean + 1e-3)),
        ln1(1e5 * a_abs / steps),
        ln1(1e5 * a_max),
        ln1(1e5 * d_max),
        ln1(1e7 * jerk / steps),
        ln1(1000.0 * turn / dur),
        ln1(100.0 * turn / len),
        ln1(peaks),
        ln1(pauses),
        logit((t_end - t_home) / dur),
        x / (dist + 1.0),
        y / (dist + 1.0),
        logit(accel_steps / steps),
        ln1(1e5 * (a2 / steps - (a_abs / steps).powi(2)).max(0.0).sqrt()),
        ln1(1e7 * jerk_max),
        ((ax_sum + 1.0) / (ay_sum + 1.0)).ln(),
        ln1(1000.0 * v_first),
        ln1(1000.0 * v_last),
        logit(n * frame / dur),
        0.0, // the gap since the previous action, set by `features`
    ];
    out[..MOVE_DIM].copy_from_slice(&f);
    true
}

/// Indices of the chord direction (unit vector scaled by dist / (dist + 1)).
const DIR_X: usize = 18;
const DIR_Y: usize = 19;

/// The direction sector (0..`sectors`) of a movement's chord, from its feature vector;
/// sector 0 starts at "left" and sectors run clockwise on screen (y grows downwards).
pub fn direction_sector(v: &Vector, sectors: usize) -> usize {
    let a = v[DIR_Y].atan2(v[DIR_X]) + std::f64::consts::PI; // 0..2π
    let s = (a / std::f64::consts::TAU * sectors as f64) as usize;
    s.min(sectors.max(1) - 1)
}

/// The feature vector of `a`, or `None` when the action has nothing to measure.
pub fn features(a: &PointerAction) -> Option<Vector> {
    let mut v = [0.0; MAX_DIM];
    let m = MOVE_DIM;
    match a.kind {
        ActionKind::Move => {
            if !movement(&a.path, &mut v) {
                return None;
            }
        }
        ActionKind::PointClick => {
            let (press, release) = (a.press_us?, a.release_us?);
            if !movement(&a.path, &mut v) {
                return None;
            }
            let last = a.path.last()?.t_us;
            v[m] = ln1(ms(press - last));
            v[m + 1] = ln1(ms(release - press));
        }
        ActionKind::DragDrop => {
            let (press, release) = (a.press_us?, a.release_us?);
            if !movement(&a.path, &mut v) {
                return None;
            }
            v[m] = ln1(ms(release - press));
            v[m + 1] = ln1(ms(a.path.first()?.t_us - FRAME_US - press));
            v[m + 2] = ln1(ms(release - a.path.last()?.t_us));
        }
        ActionKind::Click => {
            let (press, release) = (a.press_us?, a.release_us?);
            v[0] = ln1(ms(release - press));
            v[1] = ln1(gap_ms(a.since_prev_us));
        }
        ActionKind::Scroll => {
            let first = a.ticks.first()?;
            let last = a.ticks.last()?;
            let detents: f64 = a
                .ticks
                .iter()
                .map(|t| f64::from(t.dx.unsigned_abs() + t.dy.unsigned_abs()))
                .sum();
            let reports = a.ticks.len() as f64;
            let (mut li, mut li2, mut flips) = (0.0, 0.0, 0.0);
            for w in a.ticks.windows(2) {
                let g = ms(w[1].t_us - w[0].t_us).max(1.0).ln();
                li += g;
                li2 += g * g;
                if w[1].dy.signum() * w[0].dy.signum() < 0 {
                    flips += 1.0;
                }
            }
            let k = (reports - 1.0).max(1.0);
            let (mean, var) = (li / k, (li2 / k - (li / k).powi(2)).max(0.0));
            v[0] = detents.ln();
            v[1] = ln1(ms(last.t_us - first.t_us));
            v[2] = if reports > 1.0 { mean } else { 6.0 };
            v[3] = var.sqrt();
            v[4] = ln1(10.0 * flips / k);
            v[5] = ln1(gap_ms(a.since_prev_us));
        }
    }
    if !a.path.is_empty() {
        v[m - 1] = ln1(gap_ms(a.since_prev_us));
    }
    v.iter().all(|x| x.is_finite()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pointer::{Button, Surface};

    fn path(steps: &[(i64, i32, i32)]) -> Vec<Step> {
        steps
            .iter()
            .map(|&(t, dx, dy)| Step {
                t_us: t * 1000,
                dx,
                dy,
            })
            .collect()
    }

    fn action(kind: ActionKind, p: Vec<Step>) -> PointerAction {
        PointerAction {
            kind,
            surface: Surface::Mouse,
            button: Some(Button::Left),
            start_us: 0,
            end_us: 0,
            path: p,
            press_us: Some(400_000),
            release_us: Some(480_000),
            ticks: Vec::new(),
            since_prev_us: Some(2_000_000),
        }
    }

    #[test]
    fn a_straight_constant_speed_movement() {
        let steps: Vec<(i64, i32, i32)> = (1..=10).map(|i| (16 * i, 30, 40)).collect();
        let v = features(&action(ActionKind::Move, path(&steps))).unwrap();
        // 10 frames of 16 ms after a first 15.625 ms frame: 159.6 ms.
        assert!((v[0] - 159.625f64.ln()).abs() < 1e-9, "{}", v[0]);
        assert!((v[1] - 501f64.ln()).abs() < 1e-9, "length 500");
        assert!((v[3] - logit(1.0)).abs() < 1e-9, "straight");
        assert!(v[4].abs() < 1e-9, "no deviation");
        assert!(v[13].abs() < 1e-9 && v[14].abs() < 1e-9, "no turning");
        assert!((v[18] - 300.0 / 501.0).abs() < 1e-9 && (v[19] - 400.0 / 501.0).abs() < 1e-9);
        assert!(
            (v[MOVE_DIM - 1] - 2000f64.ln_1p()).abs() < 1e-9,
            "gap since the previous action"
        );
    }

    #[test]
    fn a_detour_is_less_straight_and_turns() {
        let straight: Vec<(i64, i32, i32)> = (1..=8).map(|i| (16 * i, 20, 0)).collect();
        let mut bent = straight.clone();
        bent[2].2 = 15;
        bent[5].2 = -15;
        let a = features(&action(ActionKind::Move, path(&straight))).unwrap();
        let b = features(&action(ActionKind::Move, path(&bent))).unwrap();
        assert!(b[3] < a[3] && b[4] > a[4] && b[14] > a[14]);
    }

    #[test]
    fn clicks_measure_pause_and_hold() {
        let steps: Vec<(i64, i32, i32)> = (1..=6).map(|i| (16 * i, 5, 5)).collect();
        let v = features(&action(ActionKind::PointClick, path(&steps))).unwrap();
        assert!((v[MOVE_DIM] - (400.0f64 - 96.0).ln_1p()).abs() < 1e-9);
        assert!((v[MOVE_DIM + 1] - 80f64.ln_1p()).abs() < 1e-9);
        let c = features(&action(ActionKind::Click, Vec::new())).unwrap();
        assert!((c[0] - 80f64.ln_1p()).abs() < 1e-9 && (c[1] - 2000f64.ln_1p()).abs() < 1e-9);
    }

    #[test]
    fn an_empty_movement_has_no_features() {
        assert!(features(&action(ActionKind::Move, Vec::new())).is_none());
        assert!(features(&action(ActionKind::Move, path(&[(16, 0, 0), (32, 0, 0)]))).is_none());
    }
}
