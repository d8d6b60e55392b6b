//! A running multivariate normal model of one kind of action, and its distance.
//!
//! Owns: [`Gauss`] (count, mean, covariance, updated one action at a time: Welford's
//! algorithm, no action is ever kept) and [`Gauss::d2`], the Mahalanobis distance of a new
//! action in standardised units with the correlation matrix shrunk towards the identity
//! (the many movement features are strongly correlated, and a profile has a few hundred
//! actions per kind, so the raw correlation matrix is noisy; cf. Ledoit & Wolf 2004).
//!
//! Pure, bounded: the distance costs one Cholesky factorisation of a ≤ 22 × 22 matrix
//! (about 2,000 multiply-adds), a few per second at most.

use super::features::MAX_DIM;
use serde::{Deserialize, Serialize};

/// Index of (i, j), j ≤ i, in a packed lower triangle.
#[inline]
fn tri(i: usize, j: usize) -> usize {
    i * (i + 1) / 2 + j
}

/// Count, mean and covariance (population form) of a feature vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gauss {
    /// Effective sample count.
    pub n: f64,
    /// Mean per feature.
    pub mean: Vec<f64>,
    /// Covariance, packed lower triangle (`d·(d+1)/2` entries).
    pub cov: Vec<f64>,
}

/// How the distance is computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DistanceParams {
    /// Weight of the identity in the shrunk correlation matrix (0 = sample correlation).
    pub shrink: f64,
    /// Per-feature standardised deviations are capped here, so one odd feature cannot
    /// decide.
    pub z_cap: f64,
    /// Floor on a feature's standard deviation (transformed units).
    pub sd_floor: f64,
}

impl Gauss {
    /// An empty model of `d` features.
    pub fn new(d: usize) -> Self {
        Self {
            n: 0.0,
            mean: vec![0.0; d],
            cov: vec![0.0; d * (d + 1) / 2],
        }
    }

    /// Number of features.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standard deviation of feature `i`.
    pub fn sd(&self, i: usize) -> f64 {
        self.cov[tri(i, i)].max(0.0).sqrt()
    }

    /// Adds one vector. Once the model has 20 samples each feature is winsorised at
    /// ±`clip` standard deviations, so an odd action moves it a bounded amount. Beyond
    /// `n_cap` samples the model becomes an exponential moving average.
    pub fn learn(&mut self, x: &[f64], n_cap: f64, clip: f64) {
        let d = self.dim();
        let mut v = [0.0; MAX_DIM];
        for i in 0..d {
            let sd = self.sd(i).max(0.05);
            v[i] = if self.n >= 20.0 {
                x[i].clamp(self.mean[i] - clip * sd, self.mean[i] + clip * sd)
            } else {
                x[i]
            };
        }
        let n1 = (self.n + 1.0).min(n_cap.max(1.0));
        let mut delta = [0.0; MAX_DIM];
        for i in 0..d {
            delta[i] = v[i] - self.mean[i];
            self.mean[i] += delta[i] / n1;
        }
        for (i, (&vi, &mi)) in v.iter().zip(&self.mean).enumerate().take(d) {
            let after_i = vi - mi;
            let row = &mut self.cov[tri(i, 0)..=tri(i, i)];
            for (c, &dj) in row.iter_mut().zip(&delta[..=i]) {
                *c += (dj * after_i - *c) / n1;
            }
        }
        self.n = n1;
    }

    /// Squared Mahalanobis distance of `x` (standardised, capped, shrunk correlation), or
    /// `None` before two samples.
    pub fn d2(&self, x: &[f64], p: &DistanceParams) -> Option<f64> {
        self.d2_within(None, 0.0, x, p)
    }

    /// [`Gauss::d2`] within a stratum: the stratum's mean and spread, shrunk towards this
    /// model's with `k` pseudo-samples, and this model's correlation structure.
    pub fn d2_within(
        &self,
        stratum: Option<&Moments>,
        k: f64,
        x: &[f64],
        p: &DistanceParams,
    ) -> Option<f64> {
        let d = self.dim();
        if self.n < 2.0 || d == 0 {
            return None;
        }
        // Predictive spread: the estimate's own uncertainty widens it for small counts.
        let widen = 1.0 + 1.0 / (self.n + 1.0);
        let mut sd = [0.0; MAX_DIM];
        let mut z = [0.0; MAX_DIM];
        // The parent's own standard deviations, for its correlation matrix.
        let mut psd = [0.0; MAX_DIM];
        for i in 0..d {
            let pvar = self.cov[tri(i, i)].max(0.0);
            psd[i] = (pvar * widen + p.sd_floor * p.sd_floor).sqrt();
            let (mean, var, w) = match stratum {
                Some(s) if s.n > 0.0 && s.mean.len() == d => {
                    let w = s.n + k;
                    (
                        (s.n * s.mean[i] + k * self.mean[i]) / w,
                        (s.n * s.var[i] + k * pvar) / w,
                        1.0 + 1.0 / (s.n + k + 1.0),
                    )
                }
                _ => (self.mean[i], pvar, widen),
            };
            sd[i] = (var.max(0.0) * w + p.sd_floor * p.sd_floor).sqrt();
            z[i] = ((x[i] - mean) / sd[i]).clamp(-p.z_cap, p.z_cap);
        }
        // Cholesky of R_s = (1 − λ)·R + λ·I, in place on a packed triangle.
        let lam = p.shrink.clamp(0.0, 1.0);
        let mut l = [0.0; MAX_DIM * (MAX_DIM + 1) / 2];
        for i in 0..d {
            for j in 0..=i {
                let r = if i == j {
                    1.0
                } else {
                    (1.0 - lam) * self.cov[tri(i, j)] * widen / (psd[i] * psd[j])
                };
                let mut s = r;
                for k in 0..j {
                    s -= l[tri(i, k)] * l[tri(j, k)];
                }
                l[tri(i, j)] = if i == j {
                    s.max(1e-6).sqrt()
                } else {
                    s / l[tri(j, j)]
                };
            }
        }
        // Forward substitution: ‖L⁻¹ z‖².
        let mut y = [0.0; MAX_DIM];
        let mut q = 0.0;
        for i in 0..d {
            let mut s = z[i];
            for k in 0..i {
                s -= l[tri(i, k)] * y[k];
            }
            y[i] = s / l[tri(i, i)];
            q += y[i] * y[i];
        }
        q.is_finite().then_some(q)
    }
}

/// Count, mean and variance per feature (no covariance): a stratum of a [`Gauss`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Effective sample count.
    pub n: f64,
    /// Mean per feature.
    pub mean: Vec<f64>,
    /// Variance per feature (population form).
    pub var: Vec<f64>,
}

impl Moments {
    /// Empty moments of `d` features.
    pub fn new(d: usize) -> Self {
        Self {
            n: 0.0,
            mean: vec![0.0; d],
            var: vec![0.0; d],
        }
    }

    /// Adds one vector, winsorised like [`Gauss::learn`] once there are 20 samples.
    pub fn learn(&mut self, x: &[f64], n_cap: f64, clip: f64) {
        let n1 = (self.n + 1.0).min(n_cap.max(1.0));
        for (i, &xi) in x.iter().enumerate().take(self.mean.len()) {
            let sd = self.var[i].max(0.0).sqrt().max(0.05);
            let v = if self.n >= 20.0 {
                xi.clamp(self.mean[i] - clip * sd, self.mean[i] + clip * sd)
            } else {
                xi
            };
            let delta = v - self.mean[i];
            self.mean[i] += delta / n1;
            self.var[i] += (delta * (v - self.mean[i]) - self.var[i]) / n1;
        }
        self.n = n1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::rng::SplitMix64;

    const P: DistanceParams = DistanceParams {
        shrink: 0.0,
        z_cap: 100.0,
        sd_floor: 0.0,
    };

    #[test]
    fn moments_match_the_sample() {
        let mut g = Gauss::new(2);
        for (a, b) in [(1.0, 2.0), (2.0, 4.0), (3.0, 6.5), (4.0, 7.5)] {
            g.learn(&[a, b], f64::INFINITY, 100.0);
        }
        assert!((g.mean[0] - 2.5).abs() < 1e-12 && (g.mean[1] - 5.0).abs() < 1e-12);
        assert!((g.cov[tri(0, 0)] - 1.25).abs() < 1e-12);
        // cov(a, b) = mean(a·b) − mean(a)·mean(b) = 14.875 − 12.5; var(b) = 29.625 − 25.
        assert!((g.cov[tri(1, 0)] - 2.375).abs() < 1e-12, "{:?}", g.cov);
        assert!((g.cov[tri(1, 1)] - 4.625).abs() < 1e-12, "{:?}", g.cov);
    }

    #[test]
    fn distance_is_chi_square_like_on_own_samples_and_large_off_them() {
        let mut r = SplitMix64::new(3);
        let mut g = Gauss::new(4);
        let draw = |r: &mut SplitMix64| {
            let a = r.normal();
            [a, 0.8 * a + 0.6 * r.normal(), r.normal(), r.normal()]
        };
        for _ in 0..5000 {
            g.learn(&draw(&mut r), f64::INFINITY, 100.0);
        }
        let mean: f64 = (0..2000)
            .map(|_| g.d2(&draw(&mut r), &P).unwrap())
            .sum::<f64>()
            / 2000.0;
        assert!((mean - 4.0).abs() < 0.3, "E[d²] = d: {mean}");
        // Correlation matters: (1, −1) is unusual for two correlated features.
        let along = g.d2(&[1.0, 1.0, 0.0, 0.0], &P).unwrap();
        let across = g.d2(&[1.0, -1.0, 0.0, 0.0], &P).unwrap();
        assert!(across > 3.0 * along, "{along} {across}");
        // Full shrinkage ignores correlation: both are the sum of squared z.
        let diag = DistanceParams { shrink: 1.0, ..P };
        let (a, b) = (
            g.d2(&[1.0, 1.0, 0.0, 0.0], &diag).unwrap(),
            g.d2(&[1.0, -1.0, 0.0, 0.0], &diag).unwrap(),
        );
        assert!((a - b).abs() < 0.1 * a, "{a} {b}");
    }

    #[test]
    fn a_degenerate_feature_does_not_break_the_factorisation() {
        let mut g = Gauss::new(3);
        for i in 0..50 {
            let a = f64::from(i % 7);
            g.learn(&[a, a, 1.0], f64::INFINITY, 100.0);
        }
        let p = DistanceParams {
            shrink: 0.1,
            z_cap: 5.0,
            sd_floor: 0.05,
        };
        let q = g.d2(&[3.0, 3.0, 1.0], &p).unwrap();
        assert!(q.is_finite() && q < 5.0, "{q}");
    }
}
