//! Verification metrics: ROC/DET points, EER with interpolation, and summary statistics.
//!
//! Convention: a score is an anomaly score — larger means "less like the owner". A sample is
//! flagged (alarm) when its score is ≥ the cutoff.
//!
//! The EER follows Killourhy & Maxion's `evaluation-script.R` (ROCR cutoffs at every
//! distinct score): take the last ROC point with miss ≥ false alarm and the next one, and
//! interpolate linearly to where the two rates are equal.

/// One ROC point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RocPoint {
    /// Fraction of genuine samples flagged (false alarm / false non-match).
    pub false_alarm: f64,
    /// Fraction of impostor samples not flagged (miss / false match).
    pub miss: f64,
}

/// ROC points for cutoffs +∞ and every distinct score, in decreasing cutoff order.
pub fn roc(genuine: &[f64], impostor: &[f64]) -> Vec<RocPoint> {
    let mut all: Vec<(f64, bool)> = genuine
        .iter()
        .map(|&s| (s, false))
        .chain(impostor.iter().map(|&s| (s, true)))
        .filter(|(s, _)| !s.is_nan())
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (ng, ni) = (genuine.len().max(1) as f64, impostor.len().max(1) as f64);
    let (mut fa, mut caught) = (0usize, 0usize);
    let mut out = vec![RocPoint {
        false_alarm: 0.0,
        miss: 1.0,
    }];
    let mut i = 0;
    while i < all.len() {
        let cut = all[i].0;
        while i < all.len() && all[i].0 == cut {
            if all[i].1 {
                caught += 1;
            } else {
                fa += 1;
            }
            i += 1;
        }
        out.push(RocPoint {
            false_alarm: fa as f64 / ng,
            miss: 1.0 - caught as f64 / ni,
        });
    }
    out
}

/// Equal error rate; `None` when either side is empty.
pub fn eer(genuine: &[f64], impostor: &[f64]) -> Option<f64> {
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let pts = roc(genuine, impostor);
    let i1 = pts.iter().rposition(|p| p.miss - p.false_alarm >= 0.0)?;
    let x = pts[i1];
    let Some(&y) = pts.get(i1 + 1) else {
        return Some(x.miss);
    };
    let denom = y.false_alarm - x.false_alarm - y.miss + x.miss;
    let a = if denom.abs() < 1e-15 {
        0.0
    } else {
        (x.miss - x.false_alarm) / denom
    };
    Some(x.miss + a * (y.miss - x.miss))
}

/// Area under the ROC curve: the probability that an impostor scores above a genuine
/// sample, ties counting one half (Mann–Whitney U / (n_g · n_i)); `None` when either side
/// is empty.
pub fn auc(genuine: &[f64], impostor: &[f64]) -> Option<f64> {
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = genuine
        .iter()
        .map(|&s| (s, false))
        .chain(impostor.iter().map(|&s| (s, true)))
        .filter(|(s, _)| !s.is_nan())
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of impostor ranks (1-based, ties get their mean rank).
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let mid = (i + j + 1) as f64 / 2.0;
        rank_sum += mid * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (ng, ni) = (genuine.len() as f64, impostor.len() as f64);
    Some((rank_sum - ni * (ni + 1.0) / 2.0) / (ng * ni))
}

/// Median (mean of the two middle values for even counts); `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    })
}

/// Mean; `None` when empty.
pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Sample standard deviation; `None` with fewer than two values.
pub fn sd(v: &[f64]) -> Option<f64> {
    let m = mean(v)?;
    (v.len() >= 2)
        .then(|| (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// Means of consecutive non-overlapping windows of `n` values (a trailing partial window is
/// dropped).
pub fn window_means(v: &[f64], n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    v.chunks_exact(n)
        .map(|c| c.iter().sum::<f64>() / n as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eer_on_hand_computed_cases() {
        assert_eq!(eer(&[0.1, 0.2, 0.3], &[0.4, 0.5, 0.6]), Some(0.0));
        assert_eq!(eer(&[0.4, 0.5, 0.6], &[0.1, 0.2, 0.3]), Some(1.0));
        assert_eq!(eer(&[1.0, 3.0], &[2.0, 4.0]), Some(0.5));
        // Cutoff 4: miss 1/3, fa 1/4; cutoff 3: miss 1/3, fa 1/2 → a = 1/3, EER = 1/3.
        let e = eer(&[1.0, 2.0, 3.0, 4.0], &[2.5, 5.0, 6.0]).unwrap();
        assert!((e - 1.0 / 3.0).abs() < 1e-12, "{e}");
        // Ties between a genuine and an impostor score form one cutoff: (miss, fa) jumps
        // from (1/2, 0) to (0, 1/2), and the line between them crosses at 1/4.
        let e = eer(&[1.0, 2.0], &[2.0, 3.0]).unwrap();
        assert!((e - 0.25).abs() < 1e-12, "{e}");
        assert_eq!(eer(&[], &[1.0]), None);
    }

    #[test]
    fn auc_on_hand_computed_cases() {
        assert_eq!(auc(&[0.1, 0.2], &[0.3, 0.4]), Some(1.0));
        assert_eq!(auc(&[0.3, 0.4], &[0.1, 0.2]), Some(0.0));
        // Pairs (g, i): (1,2) yes, (1,0) no, (3,2) no, (3,0) no → 1/4.
        assert_eq!(auc(&[1.0, 3.0], &[2.0, 0.0]), Some(0.25));
        // A tie counts one half: (1,1) ½, (1,2) 1 → 3/4.
        assert_eq!(auc(&[1.0], &[1.0, 2.0]), Some(0.75));
        assert_eq!(auc(&[], &[1.0]), None);
    }

    #[test]
    fn roc_runs_from_no_alarm_to_all_alarms() {
        let r = roc(&[1.0, 2.0], &[3.0]);
        assert_eq!(
            r.first(),
            Some(&RocPoint {
                false_alarm: 0.0,
                miss: 1.0
            })
        );
        assert_eq!(
            r.last(),
            Some(&RocPoint {
                false_alarm: 1.0,
                miss: 0.0
            })
        );
        assert_eq!(r.len(), 4);
    }

    #[test]
    fn summaries() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(mean(&[1.0, 2.0]), Some(1.5));
        assert_eq!(window_means(&[1.0, 3.0, 5.0, 7.0, 9.0], 2), vec![2.0, 6.0]);
        assert!((sd(&[1.0, 3.0]).unwrap() - 2f64.sqrt()).abs() < 1e-12);
    }
}
