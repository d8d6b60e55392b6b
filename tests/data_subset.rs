//! The protocols on a small subset of the real shared data (5 Buffalo users, 20 Aalto
//! participants). Full runs belong to `typewarden evaluate`; this only checks the path works
//! on the real formats. Skips with a reason when the data is absent, unless
//! `TYPEWARDEN_REQUIRE_DATA=1`.

use std::path::PathBuf;
use typewarden::engine::EngineParams;
use typewarden::eval::{aalto, buffalo, takeover, Split};

fn data_dir(folder: &str) -> Option<PathBuf> {
    let base = std::env::var_os("TYPEWARDEN_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
        PathBuf::from,
    );
    let d = base.join(folder);
    if d.is_dir() {
        return Some(d);
    }
    assert!(
        std::env::var("TYPEWARDEN_REQUIRE_DATA").as_deref() != Ok("1"),
        "required data missing: {}",
        d.display()
    );
    println!("skipping: {} not found", d.display());
    None
}

#[test]
fn buffalo_five_users() {
    let Some(dir) = data_dir("buffalo-keystroke-biokey-digraphs") else {
        return;
    };
    let (users, skipped) = buffalo::load(&dir, |u| u <= 5, 2).unwrap();
    assert_eq!((users.len(), skipped.len()), (5, 0));
    let (base, rot) = takeover::evaluate(&EngineParams::default(), &users, Split::All, 2, false);
    assert_eq!((base.users, rot.users), (5, 0));
    let f = &base.figures;
    assert_eq!(f.takeovers, 20);
    assert!(f.genuine_keystrokes > 20_000, "{f:?}");
    assert_eq!(f.profiles_mature, Some(1.0));
    // Sanity, not a benchmark: real typists are told apart far better than chance.
    assert!(base.eer_at["1000"].unwrap() < 0.3, "{:?}", base.eer_at);
    assert!(f.detected_within_500.unwrap() > 0.5, "{f:?}");
}

#[test]
fn aalto_twenty_participants() {
    let Some(dir) = data_dir("aalto-136m-keystrokes-subset") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("files"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let users: Vec<aalto::Participant> = files
        .iter()
        .take(20)
        .map(|p| aalto::parse(&buffalo::read_maybe_gz(p).unwrap(), p).unwrap())
        .filter(|p| p.sentences.len() == aalto::SENTENCES)
        .collect();
    assert!(users.len() >= 18);
    let rep = aalto::evaluate(&EngineParams::default(), &users, 2, false);
    let e = rep.eer_by_g["10"].unwrap();
    assert!(e < 0.4, "G=10 EER {e}");
}
