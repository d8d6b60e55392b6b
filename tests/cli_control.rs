//! The control commands' command line without a daemon: completions cover them, bad
//! arguments exit 2 before anything is sent, and an absent daemon or bus exits 3 with a
//! hint (the exit codes documented in typewarden(8)).

use std::process::{Command, Output};

fn run(args: &[&str], bus: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .args(args)
        .env_clear()
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus)
        .output()
        .unwrap()
}

#[test]
fn completions_know_the_control_commands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell], "unix:path=/nonexistent");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for word in [
            "status",
            "profile",
            "pause",
            "resume",
            "reload",
            "mode",
            "no-ask-password",
        ] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
}

#[test]
fn bad_arguments_exit_2_and_a_missing_daemon_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let nobus = format!("unix:path={}", dir.path().join("no-bus").display());
    for args in [
        &["pause", "25h"][..],
        &["pause", "soon"],
        &["mode", "sideways"],
        &["profile", "show", "uid:01"],
        &["profile"],
    ] {
        let out = run(args, &nobus);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(&["status"], &nobus);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("typewarden: ") && err.contains("is typewarden.service running?"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}
