//! The mouse protocols on the real Balabit data (`shared/data/balabit-mouse-dynamics`).
//! Full runs belong to `typewarden evaluate balabit`; this checks that the real format goes
//! through the daemon's path and that the figures are sane. Skips with a reason when the
//! data is absent, unless `TYPEWARDEN_REQUIRE_DATA=1`.

mod common;

use typewarden::core::pointer::ActionKind;
use typewarden::engine::pointer::PointerParams;
use typewarden::engine::EngineParams;
use typewarden::eval::{balabit, mouse, mouse_takeover};

fn users() -> Option<Vec<balabit::UserData>> {
    let dir = common::shared_dir("data")?.join("balabit-mouse-dynamics");
    if !dir.is_dir() {
        assert!(
            std::env::var("TYPEWARDEN_REQUIRE_DATA").as_deref() != Ok("1"),
            "required data missing: {}",
            dir.display()
        );
        println!("skipping: {} not found", dir.display());
        return None;
    }
    Some(balabit::load(&dir, 2, false).unwrap())
}

#[test]
fn balabit_loads_completely_and_segments_into_every_kind() {
    let Some(users) = users() else {
        return;
    };
    assert_eq!(users.len(), 10);
    assert_eq!(users.iter().map(|u| u.train.len()).sum::<usize>(), 65);
    let test: Vec<bool> = users
        .iter()
        .flat_map(|u| u.test.iter().map(|t| t.1))
        .collect();
    assert_eq!(test.len(), 816);
    assert_eq!(test.iter().filter(|&&i| i).count(), 405);
    let p = PointerParams::default();
    let prepared = mouse::prepare(&users[..1], &p, 2);
    let kinds: std::collections::BTreeSet<ActionKind> =
        prepared[0].train.iter().flatten().map(|a| a.kind).collect();
    assert_eq!(kinds.len(), ActionKind::ALL.len(), "{kinds:?}");
}

#[test]
fn three_users_test_and_takeover_are_sane() {
    let Some(users) = users() else {
        return;
    };
    let p = PointerParams::default();
    let prepared = mouse::prepare(&users[..3], &p, 2);
    let rep = mouse::evaluate(&prepared, &p, 2, false);
    assert!(rep.test_sessions > 100);
    // Sanity, not a benchmark: owners are told apart from other users better than chance.
    assert!(rep.auc_global.unwrap() > 0.6, "{:?}", rep.auc_global);
    let t = mouse_takeover::evaluate(&EngineParams::default(), &p, &prepared, 2, false);
    assert!(t.takeovers > 50 && t.genuine_actions > 1000, "{t:?}");
    assert!(t.detected.unwrap() > 0.05, "{t:?}");
}
