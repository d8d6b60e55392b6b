//! Steering the running daemon (issue 6), through the real binaries on a private bus (see
//! tests/common/api_env.rs):
//! - configuration reload over D-Bus and on SIGHUP keeps sessions, profiles and a pause; a
//!   bad file is rejected with `file:line: key`, audited, and the old configuration stays;
//! - a pause is bounded: it ends by itself, audited as degraded and then restored;
//! - a reset profile trains again; exit codes for a daemon that is not running and for bad
//!   arguments are the documented ones;
//! - the API comes back by itself when the bus restarts.

#[path = "common/api_env.rs"]
mod api_env;
mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
mod store_support;

use api_env::*;
use common::typist::{enrolled, Typist};
use std::time::{Duration, Instant};
use typewarden::daemon::profile_file::StoredProfile;
use typewarden::store::{Identity, Store};

async fn with_alice() -> Option<ApiEnv> {
    let mut env = ApiEnv::start().await?;
    let engine = enrolled(&mut Typist::new(11, 1.0), 3000);
    Store::open(&env.state())
        .unwrap()
        .save(
            &Identity::Uid(ALICE),
            &StoredProfile::from(engine.profile().clone()),
        )
        .unwrap();
    env.logind.add_session("c1", "seat0", ALICE, "alice").await;
    env.start_daemon().await;
    env.wait_session("c1").await;
    Some(env)
}

fn status(env: &ApiEnv) -> serde_json::Value {
    let (code, out, err) = outcome(&env.cli(0, &["status", "--json"]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_state_and_a_bad_file_is_rejected_and_audited() {
    let Some(env) = with_alice().await else {
        return;
    };
    assert_eq!(outcome(&env.cli(0, &["pause", "10m"])).0, 0);
    let before = status(&env);

    // A bad value: refused with file:line: key, audited, nothing changes.
    env.write_config("[session]\nsettle_ms = 0\n[input]\nchatter_ms = \"fast\"\n");
    let (code, _, err) = outcome(&env.cli(0, &["reload"]));
    assert_eq!(code, 1, "{err}");
    let want = format!("{}:4: input.chatter_ms:", env.config_path().display());
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("the previous one stays"), "{err}");
    let rejected = env.records("config_rejected");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["TYPEWARDEN_LINE"], "4");
    assert_eq!(rejected[0]["TYPEWARDEN_CONFIG_KEY"], "input.chatter_ms");
    assert_eq!(status(&env)["config_hash"], before["config_hash"]);

    // The same on SIGHUP.
    env.write_config("mode = \"sometimes\"\n");
    env.signal(nix::sys::signal::Signal::SIGHUP);
    let start = Instant::now();
    while env.records("config_rejected").len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "SIGHUP not handled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(&env)["mode"], "enforce");

    // A good file on SIGHUP: in force, audited, and the session, its loaded profile, its
    // trust and the pause all survive.
    env.write_config("mode = \"monitor\"\n[session]\nsettle_ms = 0\n");
    env.signal(nix::sys::signal::Signal::SIGHUP);
    let start = Instant::now();
    let after = loop {
        let s = status(&env);
        if s["mode"] == "monitor" {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "reload never applied: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(after["configured_mode"], "monitor");
    assert_ne!(after["config_hash"], before["config_hash"]);
    assert_eq!(after["paused"], true, "the pause survives a reload");
    assert_eq!(after["profiles_loaded"], 1);
    assert_eq!(
        after["sessions"], before["sessions"],
        "sessions and trust survive"
    );
    let reloaded = env.records("config_reloaded");
    assert_eq!(reloaded.len(), 1, "{reloaded:?}");
    assert_eq!(reloaded[0]["TYPEWARDEN_MODE"], "monitor");

    // Over D-Bus, with what needs a restart reported.
    env.write_config("mode = \"monitor\"\n[session]\nsettle_ms = 0\n[input]\nchatter_ms = 9\n");
    let (code, out, err) = outcome(&env.cli(0, &["reload", "--json"]));
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(r["restart_needed"], serde_json::json!(["input"]));
    // A run-time mode change lasts until the next reload.
    assert_eq!(outcome(&env.cli(0, &["mode", "enforce"])).0, 0);
    assert_eq!(status(&env)["mode"], "enforce");
    assert_eq!(outcome(&env.cli(0, &["reload"])).0, 0);
    assert_eq!(status(&env)["mode"], "monitor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_ends_by_itself_and_is_audited() {
    let Some(env) = with_alice().await else {
        return;
    };
    let (code, out, _) = outcome(&env.cli(0, &["pause", "2s"]));
    assert_eq!(code, 0);
    assert!(out.contains("paused for 2s"), "{out}");
    let s = status(&env);
    assert_eq!(s["paused"], true);
    assert!(
        s["degraded"].as_array().unwrap().contains(&"paused".into()),
        "{s}"
    );
    let start = Instant::now();
    while status(&env)["paused"] == true {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the pause never ended"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "ended early"
    );
    let degraded = env.records("degraded_protection");
    assert!(
        degraded.iter().any(|r| r["TYPEWARDEN_REASON"] == "paused"),
        "{degraded:?}"
    );
    let restored = env.records("protection_restored");
    assert!(
        restored.iter().any(|r| r["TYPEWARDEN_REASON"] == "paused"),
        "{restored:?}"
    );
    // Bounds are checked before anything is sent (exit 2), and by the daemon itself.
    for bad in ["0", "25h", "soon"] {
        let (code, _, err) = outcome(&env.cli(0, &["pause", bad]));
        assert_eq!(code, 2, "{bad}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_profile_trains_again_and_missing_things_have_their_exit_codes() {
    let Some(mut env) = with_alice().await else {
        return;
    };
    let (code, out, _) = outcome(&env.cli(0, &["profile", "show", "uid:1000", "--json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["state"].as_str(), v["loaded"].as_bool()),
        (Some("protecting"), Some(true))
    );
    let (code, out, err) = outcome(&env.cli(0, &["profile", "reset", "uid:1000"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("reset"), "{out}");
    let v: serde_json::Value =
        serde_json::from_str(&outcome(&env.cli(0, &["profile", "show", "uid:1000", "--json"])).1)
            .unwrap();
    assert_eq!(v["state"], "training");
    assert_eq!(v["keystrokes"], 0);
    assert_eq!(v["file_present"], false);
    assert_eq!(status(&env)["sessions"][0]["state"], "training");
    let list = outcome(&env.cli(0, &["profile", "list", "--json"])).1;
    assert!(list.contains("\"uid:1000\""), "{list}");
    // Exit codes a script can rely on.
    assert_eq!(outcome(&env.cli(0, &["profile", "reset", "uid:4242"])).0, 5);
    assert_eq!(outcome(&env.cli(0, &["profile", "show", "uid:01"])).0, 2);
    assert_eq!(
        outcome(&env.cli(0, &["profile", "show", "no-such-user-here"])).0,
        5
    );
    assert_eq!(outcome(&env.cli(0, &["mode", "sideways"])).0, 2);
    env.stop_daemon().await;
    let (code, _, err) = outcome(&env.cli(0, &["status"]));
    assert_eq!(code, 3, "daemon not running: {err}");
    assert!(err.contains("is typewarden.service running?"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_comes_back_after_the_bus_restarts() {
    let Some(mut env) = with_alice().await else {
        return;
    };
    env.restart_bus();
    let start = Instant::now();
    loop {
        let (code, out, _) = outcome(&env.cli(0, &["status"]));
        if code == 0 {
            assert!(out.starts_with("typewarden "), "{out}");
            break;
        }
        assert_eq!(code, 3, "meanwhile: not running");
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the API never came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        env.daemon_log().contains("D-Bus API unavailable"),
        "{}",
        env.daemon_log()
    );
}

/// A downgrade: alice's profile was written by a newer typewarden. The daemon keeps the file
/// untouched (not quarantined, not overwritten, even at shutdown), audits it, does not
/// score her meanwhile, and an administrator's reset starts her training at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_of_a_newer_version_is_kept_until_an_administrator_resets_it() {
    let Some(mut env) = ApiEnv::start().await else {
        return;
    };
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(env.state()).unwrap();
    std::fs::set_permissions(env.state(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = env.state().join("uid-1000.profile");
    let newer = store_support::container(2, b"KSDP", 9, b"{\"from\":\"the future\"}");
    std::fs::write(&path, &newer).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.logind.add_session("c1", "seat0", ALICE, "alice").await;
    env.start_daemon().await;
    let start = Instant::now();
    while env.records("profile_newer_version").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            env.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = &env.records("profile_newer_version")[0];
    assert_eq!(
        (
            r["TYPEWARDEN_FORMAT_VERSION"].as_str(),
            r["TYPEWARDEN_PAYLOAD_VERSION"].as_str()
        ),
        ("2", "9")
    );
    assert!(env.records("profile_quarantined").is_empty());
    let s = status(&env);
    assert_eq!(s["sessions"][0]["state"], "not_loaded", "{s}");
    let (_, out, _) = outcome(&env.cli(0, &["profile", "show", "uid:1000", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "newer_version");
    assert_eq!(std::fs::read(&path).unwrap(), newer);
    assert_eq!(outcome(&env.cli(0, &["profile", "reset", "uid:1000"])).0, 0);
    let s = status(&env);
    assert_eq!(s["sessions"][0]["state"], "training", "{s}");
    env.stop_daemon().await;
    assert!(!path.exists() || std::fs::read(&path).unwrap() != newer);
}
