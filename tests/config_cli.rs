//! `typewarden check-config PATH` and `--version` end to end through the built binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Writes `text` with mode 0644 whatever the umask (the loader refuses group-writable files).
fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
}

fn check_config(path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("check-config")
        .arg(path)
        .output()
        .unwrap()
}

#[test]
fn a_good_file_prints_the_summary_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.toml");
    write(&path, "mode = \"monitor\"\n[input]\nchatter_ms = 12\n");
    let out = check_config(&path);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    assert!(stdout.contains("  1. <built-in defaults>\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  2. {}\n", path.display())),
        "{stdout}"
    );
    assert!(stdout.contains("mode: monitor\n"), "{stdout}");
    assert!(
        stdout.contains("  chatter_ms = 12\n  max_hold_ms = 2000\n"),
        "{stdout}"
    );
    let hash = stdout
        .lines()
        .find_map(|l| l.strip_prefix("config hash: sha256:"))
        .unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn a_bad_file_exits_1_with_file_line_key_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    write(&path, "mode = \"monitor\"\n\n[input]\nchater_ms = 12\n");
    let out = check_config(&path);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let want = format!(
        "{}:4: input.chater_ms: unknown key (did you mean `chatter_ms`?)\n",
        path.display()
    );
    assert_eq!(stderr, want);
}

#[test]
fn a_missing_file_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, format!("{}: does not exist\n", path.display()));
}

#[test]
fn the_summary_shows_every_section_with_its_effective_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.toml");
    let text = "state_dir = \"/srv/typewarden\"\n\
                [input]\nexclude = [\"name=Presenter\"]\n\
                [engine]\ntarget_false_locks_per_10k = 0.05\n\
                [session]\nescalation = { activate-session = \"greeter\" }\n\
                [policy]\nexempt_groups = [\"kiosk-admins\"]\n";
    write(&path, text);
    let out = check_config(&path);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for want in [
        "state_dir: /srv/typewarden\n",
        "  state_dir = \"/srv/typewarden\"\n",
        "  exclude = [\"name=Presenter\"]\n  tokens = [\"1050:*\"]\n",
        "  [engine]\n  max_latency_ms = 1500.0\n",
        "  target_false_locks_per_10k = 0.05\n",
        "  [session]\n  dbus_timeout_ms = 2000\n",
        "  identity = \"logind-uid\"\n",
        "  exempt_users = []\n  exempt_groups = [\"kiosk-admins\"]\n",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }
    assert!(stdout.contains("greeter"), "{stdout}");
}

#[test]
fn a_bad_engine_value_exits_1_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    write(&path, "[engine]\n\ntarget_false_locks_per_10k = 0\n");
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(1));
    let want = format!(
        "{}:3: engine.target_false_locks_per_10k: must be between 0.000001 and 100, got 0\n",
        path.display()
    );
    assert_eq!(String::from_utf8(out.stderr).unwrap(), want);
}

#[test]
fn version_prints_the_package_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("typewarden {}\n", env!("CARGO_PKG_VERSION"))
    );
}
