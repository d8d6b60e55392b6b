//! Deterministic synthetic typists for engine and evaluation tests.
//!
//! A typist types text from a small shared "language" (a seeded first-order Markov chain
//! over 26 letters and space). Timing = shared digraph difficulty (same for everyone, like
//! real hand/finger geometry) + a personal per-digraph and per-key offset + per-keystroke
//! noise, all log-normal. Two seeds give two people with different rhythms on the same text.

use typewarden::core::timing::{DeviceId, TimingEvent};
use typewarden::engine::{Decision, Engine, SourceKind};
use typewarden::eval::rng::SplitMix64;
use typewarden::eval::timeline::{clean, KeyRec};

/// Linux codes of a–z then space.
pub const KEYS: [u16; 27] = [
    30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45,
    21, 44, 57,
];

/// A synthetic person.
pub struct Typist {
    dd_mu: Vec<f64>,
    hold_mu: Vec<f64>,
    noise: f64,
    rng: SplitMix64,
    text: SplitMix64,
    prev: usize,
}

impl Typist {
    /// Person `seed`; `speed` scales every latency (1.0 = ~190 ms press-press).
    pub fn new(seed: u64, speed: f64) -> Self {
        let mut lang = SplitMix64::new(42);
        let mut me = SplitMix64::new(seed.wrapping_mul(7919).wrapping_add(1));
        let n = KEYS.len();
        let dd_mu = (0..n * n)
            .map(|_| (190.0 * speed).ln() + 0.35 * lang.normal() + 0.22 * me.normal())
            .collect();
        let hold_mu = (0..n)
            .map(|_| 95f64.ln() + 0.1 * lang.normal() + 0.18 * me.normal())
            .collect();
        Self {
            dd_mu,
            hold_mu,
            noise: 0.22,
            rng: SplitMix64::new(seed ^ 0xfeed),
            text: SplitMix64::new(seed ^ 0x7e47),
            prev: 26,
        }
    }

    fn next_key(&mut self) -> usize {
        // Space every ~5 keys, otherwise a letter biased by the previous key.
        if self.prev != 26 && self.text.f64() < 0.2 {
            return 26;
        }
        let bias = (self.prev * 7 + 3) % 26;
        if self.text.f64() < 0.4 {
            (bias + self.text.below(4)) % 26
        } else {
            self.text.below(26)
        }
    }

    /// `n` keystrokes starting at `t0_us`.
    pub fn type_keys(&mut self, n: usize, t0_us: i64) -> Vec<KeyRec> {
        let mut out = Vec::with_capacity(n);
        let mut t = t0_us;
        for i in 0..n {
            let k = self.next_key();
            if i > 0 {
                let mu = self.dd_mu[self.prev * KEYS.len() + k];
                t += ((mu + self.noise * self.rng.normal()).exp() * 1000.0) as i64;
            }
            let hold = ((self.hold_mu[k] + 0.15 * self.rng.normal()).exp() * 1000.0) as i64;
            out.push(KeyRec {
                code: KEYS[k],
                press_us: t,
                release_us: t + hold.max(5_000),
            });
            self.prev = k;
        }
        out
    }
}

/// End of a timeline (last release).
pub fn end_of(keys: &[KeyRec]) -> i64 {
    keys.iter().map(|k| k.release_us).max().unwrap_or(0)
}

/// Cleaned timing events of a key timeline on `device`.
pub fn timing(keys: &[KeyRec], device: u32) -> Vec<TimingEvent> {
    clean(keys, DeviceId(device))
}

/// Feeds timing events from a source; returns every decision.
pub fn feed(e: &mut Engine, t: &[TimingEvent], src: SourceKind) -> Vec<Decision> {
    let mut out = Vec::new();
    for ev in t {
        e.on_timing(ev, src, &mut out);
    }
    out
}

/// Locks among decisions.
pub fn locks(d: &[Decision]) -> Vec<i64> {
    d.iter()
        .filter_map(|x| {
            if let Decision::Lock { t_us, .. } = x {
                Some(*t_us)
            } else {
                None
            }
        })
        .collect()
}

/// An engine enrolled on `n` keystrokes of `who`.
pub fn enrolled(who: &mut Typist, n: usize) -> Engine {
    let mut e = Engine::new(Default::default());
    let keys = who.type_keys(n, 0);
    e.on_unlock(0);
    let d = feed(&mut e, &timing(&keys, 1), SourceKind::Keyboard);
    assert!(
        d.iter().any(|x| matches!(x, Decision::Matured { .. })),
        "profile did not mature on {n} keystrokes"
    );
    e
}
