//! Tests of `[session]` through `parse` and `build`: escalation and identity forms, layering,
//! errors.

use super::section_tests::{err, ok};
use crate::session::config::{CommandSpec, Escalation, IdentitySource};

#[test]
fn every_escalation_form() {
    let esc = |text: &str| {
        ok(&[("t", &format!("[session]\n{text}\n"))])
            .session
            .escalation
    };
    assert_eq!(esc("escalation = \"log-only\""), Escalation::LogOnly);
    assert_eq!(esc("escalation = \"terminate\""), Escalation::Terminate);
    assert_eq!(
        esc("escalation = { activate-session = \"greeter\" }"),
        Escalation::ActivateSession("greeter".into())
    );
    let inline = "escalation = { command = { argv = [\"/usr/bin/vdi-disconnect\", \"{session}\"], \
                  timeout_ms = 900 } }";
    let spec = CommandSpec {
        argv: vec!["/usr/bin/vdi-disconnect".into(), "{session}".into()],
        timeout_ms: 900,
    };
    assert_eq!(esc(inline), Escalation::Command(spec));
    let header = "[session.escalation.command]\nargv = [\"/bin/true\"]\n";
    let spec = CommandSpec {
        argv: vec!["/bin/true".into()],
        timeout_ms: 5000,
    };
    assert_eq!(esc(header), Escalation::Command(spec));
}

#[test]
fn a_later_escalation_replaces_the_earlier_one_as_a_whole() {
    let a = "[session]\nescalation = { command = { argv = [\"/bin/a\"], timeout_ms = 900 } }\n";
    let b = "[session]\nescalation.command.argv = [\"/bin/b\"]\n";
    let c = ok(&[("a", a), ("b", b)]);
    // Not argv from b with timeout_ms from a: b's escalation is complete on its own.
    let spec = CommandSpec {
        argv: vec!["/bin/b".into()],
        timeout_ms: 5000,
    };
    assert_eq!(c.session.escalation, Escalation::Command(spec));
    let c = ok(&[
        ("a", a),
        (
            "b",
            "[session]\nescalation = \"terminate\"\nsettle_ms = 0\n",
        ),
    ]);
    assert_eq!(c.session.escalation, Escalation::Terminate);
    assert_eq!(c.session.settle_ms, 0);
    assert_eq!(c.session.dbus_timeout_ms, 2000);
}

#[test]
fn session_errors_name_the_line_and_key() {
    let one = |text: &str| err(&[("t.toml", text)]);
    assert_eq!(
        one("[session]\nescalation = \"log_only\"\n"),
        "t.toml:2: session.escalation: unknown value \"log_only\" (did you mean \"log-only\"?)"
    );
    assert_eq!(
        one("[session]\nescalation = 5\n"),
        "t.toml:2: session.escalation: expected a string or a table"
    );
    assert_eq!(
        one("[session]\nescalation = { command = { argv = [\"/x\"], shell = true } }\n"),
        "t.toml:2: session.escalation.command.shell: unknown key (valid keys: `argv`, \
         `timeout_ms`)"
    );
    assert_eq!(
        one("[session]\n\n[session.escalation.command]\nargv = [\"/bin/x\"]\ntimeout_ms = 5\n"),
        "t.toml:5: session.escalation.command.timeout_ms: 5 is out of range 100..=60000"
    );
    assert_eq!(
        one("[session]\nescalation = { command = { argv = [\"x\"] } }\n"),
        "t.toml:2: session.escalation: command argv must start with an absolute program path"
    );
    assert_eq!(
        one("[session]\nidentity = { file = \"kiosk-user\" }\n"),
        "t.toml:2: session.identity: file must be an absolute path"
    );
    assert_eq!(
        one("[session]\nsetle_ms = 1\n"),
        "t.toml:2: session.setle_ms: unknown key (did you mean `settle_ms`?)"
    );
    assert_eq!(
        one("[session]\ndbus_timeout_ms = 0\n"),
        "t.toml:2: session.dbus_timeout_ms: 0 is out of range 100..=60000"
    );
}

#[test]
fn identity_forms() {
    let c = ok(&[(
        "t",
        "[session]\nidentity = { file = \"/etc/typewarden/kiosk-user\" }\n",
    )]);
    assert_eq!(
        c.session.identity,
        IdentitySource::File("/etc/typewarden/kiosk-user".into())
    );
    let c = ok(&[("t", "session.identity = \"logind-uid\"\n")]);
    assert_eq!(c.session.identity, IdentitySource::LogindUid);
}
