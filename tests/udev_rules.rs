//! `udev/70-typewarden.rules` only tags devices: every key it uses is on a short list of
//! matches plus `ENV{TYPEWARDEN_*}` assignments, so it can never set MODE/GROUP/OWNER,
//! add ACLs (`TAG+="uaccess"`), RUN programs, rename nodes or touch ID_SEAT. When the
//! installed udevadm has `verify` (systemd 253+) the file must also pass it.

use std::path::Path;
use std::process::Command;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/udev/70-typewarden.rules");

/// One `KEY op "value"` element of a rule line.
#[derive(Debug)]
struct Element {
    key: String,
    op: String,
}

/// Splits a rule line into elements; values are quoted and never contain `"` here.
fn elements(line: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let op_at = rest.find(['=', '!', '+', '-', ':']).expect("operator");
        let key = rest[..op_at].trim().to_string();
        let after = &rest[op_at..];
        let op_len = after.find('"').expect("quoted value");
        let op = after[..op_len].to_string();
        let value_end = after[op_len + 1..].find('"').expect("closing quote") + op_len + 2;
        out.push(Element { key, op });
        rest = after[value_end..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
    }
    out
}

fn rule_lines() -> Vec<String> {
    std::fs::read_to_string(RULES)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Whether an element only matches, jumps, or sets a `TYPEWARDEN_*` property.
fn tag_only(e: &Element) -> bool {
    let key = e.key.as_str();
    match e.op.as_str() {
        "==" | "!=" => {
            ["ACTION", "SUBSYSTEM", "KERNEL"].contains(&key) || key.starts_with("ATTRS{id/")
        }
        "=" => key == "GOTO" || key == "LABEL" || key.starts_with("ENV{TYPEWARDEN_"),
        _ => false,
    }
}

#[test]
fn rules_only_match_and_set_typewarden_properties() {
    let lines = rule_lines();
    assert!(lines.len() >= 5, "rules file unexpectedly short");
    let mut assignments = 0;
    for line in &lines {
        for e in elements(line) {
            assert!(tag_only(&e), "{RULES}: {e:?} is not tag-only in: {line}");
            assignments += usize::from(e.key.starts_with("ENV{"));
        }
    }
    assert!(assignments > 0, "no TYPEWARDEN_ property is ever set");
}

#[test]
fn the_checker_rejects_what_it_must() {
    let forbidden = [
        r#"KERNEL=="event*", MODE="0666""#,
        r#"KERNEL=="event*", GROUP="input""#,
        r#"KERNEL=="event*", OWNER="alice""#,
        r#"KERNEL=="event*", RUN+="/bin/true""#,
        r#"KERNEL=="event*", TAG+="uaccess""#,
        r#"KERNEL=="event*", ENV{ID_SEAT}="seat1""#,
        r#"KERNEL=="event*", ENV{TYPEWARDEN_CLASS}+="token""#,
        r#"KERNEL=="event*", IMPORT{program}="x""#,
    ];
    for line in forbidden {
        assert!(
            elements(line).iter().any(|e| !tag_only(e)),
            "{line} would pass"
        );
    }
}

#[test]
fn udevadm_verify_accepts_the_rules() {
    let udevadm = ["/usr/bin/udevadm", "/bin/udevadm", "/sbin/udevadm"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(udevadm) = udevadm else {
        println!("skipping: udevadm not installed (apt-get install udev)");
        return;
    };
    let has_verify = Command::new(udevadm)
        .args(["verify", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_verify {
        println!("skipping: this udevadm has no `verify` (systemd < 253); tests/system parses the rules in the guest");
        return;
    }
    let out = Command::new(udevadm)
        .args(["verify", "--resolve-names=never", RULES])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "udevadm verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
