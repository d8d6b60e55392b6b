//! The `evaluate` protocol code on tiny synthetic datasets written in each dataset's own
//! format to a temp dir (Buffalo digraph literals, gzip'd; Aalto TSV; CMU CSV).

mod common;

use common::typist::{Typist, KEYS};
use std::io::Write;
use std::path::Path;
use typewarden::engine::EngineParams;
use typewarden::eval::rng::SplitMix64;
use typewarden::eval::timeline::KeyRec;
use typewarden::eval::{aalto, buffalo, cmu, takeover, Split};

/// Linux code → the Windows VK / JavaScript keyCode the datasets use (letters and space).
fn vk(code: u16) -> u32 {
    let i = KEYS.iter().position(|&k| k == code).unwrap();
    if i == 26 {
        32
    } else {
        65 + i as u32
    }
}

fn gz(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap();
}

fn buffalo_literal(keys: &[KeyRec]) -> String {
    let s = |us: i64| format!("{:.3}", us as f64 / 1e6);
    let recs: Vec<String> = keys
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            format!(
                "({}, {}, {}, {}, {}, {})",
                vk(a.code),
                vk(b.code),
                s(a.release_us - a.press_us),
                s(b.release_us - b.press_us),
                s(b.press_us - a.press_us),
                s(b.press_us - a.release_us)
            )
        })
        .collect();
    format!("[{}]", recs.join(", "))
}

#[test]
fn buffalo_takeover_protocol_on_synthetic_files() {
    let dir = tempfile::tempdir().unwrap();
    for (id, folder) in [
        (1, "baseline"),
        (2, "baseline"),
        (3, "baseline"),
        (4, "baseline"),
        (76, "Rotation"),
        (77, "Rotation"),
        (78, "Rotation"),
    ] {
        let mut who = Typist::new(id, 1.0);
        for s in 0..3 {
            for t in 0..2 {
                if id == 78 && s == 2 && t == 1 {
                    continue; // incomplete user: must be skipped
                }
                let keys = who.type_keys(if t == 0 { 1400 } else { 700 }, 0);
                let sub = if s == 0 {
                    folder.to_lowercase()
                } else {
                    folder.to_string()
                };
                let k = if id >= 76 { s + 1 } else { 0 };
                let p = dir.path().join(format!(
                    "Converted_S{s}/Converted_{sub}/{id:03}{s}{k}{t}.txt.gz"
                ));
                gz(&p, &buffalo_literal(&keys));
            }
        }
    }
    let (users, skipped) = buffalo::load(dir.path(), |_| true, 2).unwrap();
    assert_eq!(users.len(), 6);
    assert_eq!(skipped, vec![78]);
    let p = EngineParams::default();
    let (base, rot) = takeover::evaluate(&p, &users, Split::All, 2, false);
    assert_eq!((base.users, rot.users), (4, 2));
    assert_eq!(base.figures.takeovers, 4 * 3);
    assert_eq!(rot.figures.takeovers, 2);
    assert_eq!(base.figures.genuine_keystrokes, 4 * 2 * 2100);
    assert_eq!(base.figures.profiles_mature, Some(1.0));
    let json = serde_json::to_value(&base).unwrap();
    for key in [
        "ania_median",
        "ania_mean",
        "detected_within_100",
        "detected_within_500",
        "seconds_to_lock_median",
        "false_locks_per_10k",
        "users_never_falsely_locked",
        "eer_at",
        "eer_global_at",
        "by_enrollment",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    for n in ["100", "200", "500", "1000"] {
        assert!(json["eer_at"].get(n).is_some(), "eer_at {n}");
    }
    for n in ["500", "1000", "2000"] {
        assert!(
            json["by_enrollment"][n].get("ania_median").is_some(),
            "by_enrollment {n}"
        );
    }
    // Distinct synthetic typists are told apart.
    assert!(
        base.figures.detected_within_500.unwrap() >= 0.75,
        "{:?}",
        base.figures
    );
    assert!(base.eer_at["200"].unwrap() < 0.25, "{:?}", base.eer_at);
}

#[test]
fn aalto_protocol_on_synthetic_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    for id in 1..=6u32 {
        let mut who = Typist::new(100 + u64::from(id), 1.0);
        let mut text = String::from("PARTICIPANT_ID\tTEST_SECTION_ID\tSENTENCE\tUSER_INPUT\tKEYSTROKE_ID\tPRESS_TIME\tRELEASE_TIME\tLETTER\tKEYCODE\n");
        let mut t0 = 1_471_948_496_000_000i64;
        for s in 0..15 {
            let keys = who.type_keys(48, t0);
            for k in &keys {
                text += &format!(
                    "{id}\t{}\tThe text.\tThe text.\t1\t{}\t{}\tx\t{}\n",
                    1000 + s,
                    k.press_us / 1000,
                    k.release_us / 1000,
                    vk(k.code)
                );
            }
            t0 = keys.last().unwrap().release_us + 3_000_000;
        }
        gz(&files.join(format!("{id}_keystrokes.txt.gz")), &text);
    }
    gz(&files.join("9_keystrokes.txt.gz"), "garbage\nrows\n");
    let (users, skipped) = aalto::load(dir.path(), Split::All, 2).unwrap();
    assert_eq!((users.len(), skipped), (6, 1));
    let rep = aalto::evaluate(&EngineParams::default(), &users, 2, false);
    assert_eq!(rep.k, 6);
    assert_eq!(
        rep.eer_by_g.keys().collect::<Vec<_>>(),
        vec!["1", "10", "2", "5", "7"]
    );
    let e10 = rep.eer_by_g["10"].unwrap();
    assert!(e10 < 0.3, "G=10 EER {e10}");
    assert!(rep.eer_global_by_g["5"].is_some());
}

#[test]
fn cmu_protocol_on_a_synthetic_csv_recovers_the_features() {
    let mut header = String::from("subject,sessionIndex,rep");
    for i in 0..31 {
        header += &format!(",f{i}");
    }
    let mut csv = header + "\n";
    let mut rng = SplitMix64::new(5);
    let mut rows = Vec::new();
    for subj in 0..4 {
        let mut person = SplitMix64::new(100 + subj);
        let hold: Vec<f64> = (0..11).map(|_| 0.08 + 0.04 * person.f64()).collect();
        let dd: Vec<f64> = (0..10).map(|_| 0.12 + 0.25 * person.f64()).collect();
        for r in 0..400 {
            let mut v = Vec::new();
            for k in 0..11 {
                let h = (hold[k] * (1.0 + 0.1 * rng.normal())).max(0.02);
                v.push(h);
                if k < 10 {
                    let d = (dd[k] * (1.0 + 0.15 * rng.normal())).max(0.03);
                    v.push(d);
                    v.push(d - h);
                }
            }
            let v: Vec<f64> = v.iter().map(|x| (x * 1e4).round() / 1e4).collect();
            csv += &format!(
                "s{subj:03},{},{},{}\n",
                r / 50 + 1,
                r % 50 + 1,
                v.iter()
                    .map(|x| format!("{x:.4}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            rows.push(v);
        }
    }
    let reps = cmu::parse(&csv, Path::new("synthetic.csv")).unwrap();
    assert_eq!(reps.len(), 1600);
    // The feature vector read back through Cleaner + extractor equals the CSV's (UD up to the
    // CSV's own rounding: there DD = H + UD only to ±1e-4).
    let ks = typewarden::eval::timeline::keystrokes(
        &typewarden::eval::timeline::clean_with(
            &reps[7].keys,
            typewarden::core::timing::DeviceId(1),
            false,
        ),
        i64::MAX,
    );
    let v = cmu::vector(&ks).unwrap();
    for (a, b) in v.iter().zip(&rows[7]) {
        assert!((a - b).abs() < 1.2e-4, "{a} vs {b}");
    }
    let reference = [("s000".to_string(), 0.0), ("s001".to_string(), 0.5)]
        .into_iter()
        .collect();
    let rep = cmu::evaluate(&EngineParams::default(), &reps, Some(&reference));
    assert_eq!((rep.subjects, rep.reps_cut), (4, 0));
    assert!(rep.eer_scaled_manhattan_mean.unwrap() < 0.1, "{rep:?}");
    assert!(rep.eer_engine_mean.unwrap() < 0.2, "{rep:?}");
    let check = rep.reference_check.unwrap();
    assert_eq!(check.subjects_compared, 2);
    assert!(
        check.max_abs_diff > 0.3,
        "s001 reference is deliberately off"
    );
    assert!(cmu::parse("h\ns001,1,1,0.1\n", Path::new("bad.csv"))
        .unwrap_err()
        .to_string()
        .contains("bad.csv:2"));
}

#[test]
fn after_a_lock_the_stream_goes_on_as_after_an_unlock_with_the_daemons_back_off() {
    use typewarden::core::timing::DeviceId;
    use typewarden::engine::{Engine, SourceKind};
    use typewarden::eval::timeline::{clean, run};
    let mut alice = Typist::new(31, 1.0);
    let mut e = Engine::new(EngineParams::default());
    e.on_unlock(0);
    let mut out = Vec::new();
    for ev in clean(&alice.type_keys(3000, 0), DeviceId(1)) {
        e.on_timing(&ev, SourceKind::Keyboard, &mut out);
    }
    assert!(e.profile().is_mature());
    let fresh = e.policy().lock_level();
    // Someone else types 3,000 keystrokes; every lock is undone at once.
    let t0 = 50_000_000_000;
    let bob = clean(&Typist::new(32, 1.0).type_keys(3000, t0), DeviceId(1));
    e.on_unlock(t0);
    let r = run(&mut e, &bob, true, None);
    assert!(r.locks.len() >= 3, "{:?}", r.locks);
    assert!(
        r.locks.windows(2).all(|w| w[1] > w[0]),
        "the stream went on"
    );
    assert!(
        e.policy().lock_level() > fresh,
        "quick unlocks back off as in the daemon"
    );
    // Without unlocking, feeding stops at the first lock after `stop_after_us`.
    let mut e2 = Engine::with_profile(EngineParams::default(), e.profile().clone());
    e2.on_unlock(t0);
    let r2 = run(&mut e2, &bob, false, Some(t0));
    assert_eq!(r2.locks.len(), 1);
}
