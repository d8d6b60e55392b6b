use super::*;

fn parse(text: &str) -> Result<SessionConfig, String> {
    toml::from_str::<SessionConfig>(text).map_err(|e| e.to_string())
}

#[test]
fn empty_section_is_the_documented_default_and_valid() {
    let c = parse("").expect("empty");
    assert_eq!(c, SessionConfig::default());
    assert_eq!(c.escalation, Escalation::LogOnly);
    assert_eq!(c.identity, IdentitySource::LogindUid);
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn every_escalation_and_identity_form_parses() {
    let c = parse(
        r#"
        dbus_timeout_ms = 500
        lock_confirm_timeout_ms = 3000
        settle_ms = 0
        probable_false_lock_window_s = 30
        escalation = { command = { argv = ["/usr/bin/vdi-disconnect", "{session}"], timeout_ms = 900 } }
        identity = { file = "/etc/typewarden/kiosk-user" }
        "#,
    )
    .expect("full");
    let spec = CommandSpec {
        argv: vec!["/usr/bin/vdi-disconnect".into(), "{session}".into()],
        timeout_ms: 900,
    };
    assert_eq!(c.escalation, Escalation::Command(spec));
    assert_eq!(
        c.identity,
        IdentitySource::File("/etc/typewarden/kiosk-user".into())
    );
    assert_eq!(c.validate(), Ok(()));
    assert_eq!(c.dbus_timeout(), Duration::from_millis(500));

    let c =
        parse(r#"escalation = { command = { argv = ["/bin/true"] } }"#).expect("default timeout");
    assert!(matches!(
        c.escalation,
        Escalation::Command(CommandSpec {
            timeout_ms: 5000,
            ..
        })
    ));
    let c = parse(r#"escalation = { activate-session = "greeter" }"#).expect("activate");
    assert_eq!(c.escalation, Escalation::ActivateSession("greeter".into()));
    let c = parse(r#"escalation = "terminate""#).expect("terminate");
    assert_eq!(c.escalation, Escalation::Terminate);
    let c = parse(r#"identity = "logind-uid""#).expect("uid");
    assert_eq!(c.identity, IdentitySource::LogindUid);
}

#[test]
fn unknown_keys_and_values_are_rejected() {
    for text in [
        "lock_timeout = 5",
        r#"escalation = "reboot""#,
        r#"escalation = { command = { argv = ["/bin/true"], shell = true } }"#,
        r#"identity = { url = "http://x" }"#,
        "dbus_timeout_ms = -1",
    ] {
        assert!(parse(text).is_err(), "accepted: {text}");
    }
}

#[test]
fn out_of_range_values_name_the_key() {
    let key = |text: &str| parse(text).expect("parses").validate().map_err(|e| e.key);
    assert_eq!(key("dbus_timeout_ms = 0"), Err("dbus_timeout_ms"));
    assert_eq!(
        key("lock_confirm_timeout_ms = 600000"),
        Err("lock_confirm_timeout_ms")
    );
    assert_eq!(key("settle_ms = 60001"), Err("settle_ms"));
    assert_eq!(
        key("probable_false_lock_window_s = 3601"),
        Err("probable_false_lock_window_s")
    );
    assert_eq!(
        key(r#"escalation = { command = { argv = ["vdi-disconnect"] } }"#),
        Err("escalation")
    );
    assert_eq!(
        key(r#"escalation = { command = { argv = [] } }"#),
        Err("escalation")
    );
    assert_eq!(
        key(r#"escalation = { command = { argv = ["/bin/true"], timeout_ms = 1 } }"#),
        Err("escalation.command.timeout_ms")
    );
    assert_eq!(
        key(r#"escalation = { activate-session = "" }"#),
        Err("escalation")
    );
    assert_eq!(
        key(r#"identity = { file = "kiosk-user" }"#),
        Err("identity")
    );
    let e = parse("settle_ms = 70000")
        .expect("parses")
        .validate()
        .expect_err("range");
    assert_eq!(
        e.to_string(),
        "session.settle_ms: 70000 is out of range 0..=60000"
    );
}
