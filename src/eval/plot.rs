//! A hand-written SVG DET plot (Martin et al. 1997): miss (impostor accepted) against false
//! alarm (genuine rejected), both on normal-deviate axes.

use crate::eval::metrics::{eer, roc};
use std::fmt::Write;

/// Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
pub fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

const LO: f64 = 0.001;
const HI: f64 = 0.6;
const SIZE: f64 = 480.0;
const PAD: f64 = 60.0;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

fn pos(p: f64) -> f64 {
    let (a, b) = (probit(LO), probit(HI));
    (probit(p.clamp(LO, HI)) - a) / (b - a) * SIZE
}

/// An SVG document with one DET curve per `(label, genuine scores, impostor scores)`.
pub fn det_svg(title: &str, curves: &[(String, &[f64], &[f64])]) -> String {
    let mut s = String::new();
    let w = SIZE + 2.0 * PAD + 160.0;
    let h = SIZE + 2.0 * PAD;
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="20" font-size="14" text-anchor="middle">{}</text>"#,
        PAD + SIZE / 2.0,
        xml(title)
    );
    for t in [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4] {
        let x = PAD + pos(t);
        let y = PAD + SIZE - pos(t);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{PAD}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><line x1="{PAD}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##,
            PAD + SIZE,
            PAD + SIZE
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            PAD + SIZE + 14.0,
            pct(t),
            PAD - 4.0,
            y + 4.0,
            pct(t)
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{PAD}" y="{PAD}" width="{SIZE}" height="{SIZE}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">false alarm (genuine rejected)</text>"#,
        PAD + SIZE / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">miss (impostor accepted)</text>"#,
        PAD + SIZE / 2.0
    );
    for (i, (label, g, imp)) in curves.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let mut pts: Vec<String> = roc(g, imp)
            .iter()
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    PAD + pos(p.false_alarm),
                    PAD + SIZE - pos(p.miss)
                )
            })
            .collect();
        // A million scores give a million ROC points but only a few thousand distinct
        // positions at 0.1 px: keep the plot a few hundred kB.
        pts.dedup();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{}"/>"#,
            pts.join(" ")
        );
        let e = eer(g, imp).map_or("n/a".to_string(), |e| format!("{:.1}%", e * 100.0));
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" fill="{c}">{} (EER {e})</text>"#,
            PAD + SIZE + 12.0,
            PAD + 16.0 + 16.0 * i as f64,
            xml(label)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn pct(p: f64) -> String {
    let v = p * 100.0;
    if v < 1.0 {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

fn xml(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probit_known_values() {
        assert!(probit(0.5).abs() < 1e-9);
        assert!((probit(0.975) - 1.959964).abs() < 1e-5);
        assert!((probit(0.001) + 3.090232).abs() < 1e-5);
    }

    #[test]
    fn svg_has_one_curve_per_series() {
        let g = [0.1, 0.2, 0.3];
        let i = [0.25, 0.5, 0.6];
        let svg = det_svg("t<1>", &[("a".into(), &g, &i), ("b".into(), &i, &g)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        // Over 10,000 ROC points, most on the same spot at 0.1 px: each spot is drawn once.
        let gen: Vec<f64> = (0..10_000).map(|k| f64::from(k) / 1e4).collect();
        let imp: Vec<f64> = gen.iter().map(|x| x + 0.3).collect();
        assert!(roc(&gen, &imp).len() > 10_000);
        let one = det_svg("t", &[("a".into(), &gen, &imp)]);
        let points = one.matches(',').count();
        assert!(points < 8_000, "{points} points");
        assert!(svg.contains("t&lt;1&gt;") && svg.ends_with("</svg>\n"));
    }
}
