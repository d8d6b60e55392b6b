//! Tests of `error`: locating and phrasing errors.

use super::*;

#[test]
fn lines_are_one_based_and_clamped() {
    assert_eq!(line_of("a\nb\nc", 0), 1);
    assert_eq!(line_of("a\nb\nc", 2), 2);
    assert_eq!(line_of("a\nb\nc", 99), 3);
}

#[test]
fn unknown_field_messages_become_suggestions() {
    let m = "unknown field `chater_ms`, expected `chatter_ms` or `max_hold_ms`";
    assert_eq!(
        humanize(m, "input.chater_ms"),
        "unknown key (did you mean `chatter_ms`?)"
    );
    let m = "unknown field `zzz`, expected one of `a_long_key`, `other_key`, `third`";
    assert_eq!(
        humanize(m, "zzz"),
        "unknown key (valid keys: `a_long_key`, `other_key`, `third`)"
    );
    let m = "unknown field `x`, there are no fields";
    assert_eq!(humanize(m, "s.x"), "unknown key");
}

#[test]
fn type_messages_name_toml_types() {
    let m = "invalid type: string \"20\", expected i64";
    assert_eq!(humanize(m, "k"), "expected an integer, got string \"20\"");
    let m = "invalid type: integer `5`, expected struct Input";
    assert_eq!(humanize(m, "k"), "expected a table, got integer `5`");
    assert_eq!(humanize("something else", "k"), "something else");
    let m = "invalid value: integer `-1`, expected u32";
    assert_eq!(
        humanize(m, "k"),
        "expected an integer between 0 and 4294967295, got integer `-1`"
    );
    let m = "invalid type: string \"3\", expected f64";
    assert_eq!(humanize(m, "k"), "expected a number, got string \"3\"");
    let m = "invalid type: string \"x\", expected a sequence";
    assert_eq!(humanize(m, "k"), "expected an array, got string \"x\"");
}

#[test]
fn unknown_variants_are_values_or_keys() {
    let m = "unknown variant `log_only`, expected one of `log-only`, `command`, `terminate`";
    assert_eq!(
        humanize(m, "session.escalation"),
        "unknown value \"log_only\" (did you mean \"log-only\"?)"
    );
    let m = "unknown variant `reboot`, expected `log-only` or `terminate`";
    assert_eq!(
        humanize(m, "session.escalation"),
        "unknown value \"reboot\" (expected one of \"log-only\", \"terminate\")"
    );
    let m = "unknown variant `url`, expected `logind-uid` or `file`";
    assert_eq!(
        humanize(m, "session.identity.url"),
        "unknown key (valid keys: `logind-uid`, `file`)"
    );
}

#[test]
fn duplicate_keys_are_placed_under_their_table() {
    let at = |text: &str, key: &str| {
        duplicate_key_path(
            text,
            text.rfind(key).unwrap()..text.rfind(key).unwrap() + key.len(),
        )
    };
    assert_eq!(at("mode = 1\n[input]\na = 1\na = 2\n", "a"), "input.a");
    assert_eq!(at("a = 1\na = 2\n", "a"), "a");
    assert_eq!(at("[[ x . \"y\" ]]\nz=1\nz=2", "z"), "x.y.z");
    assert_eq!(at("[t]\n[t]\n", "t"), "t");
    assert_eq!(at("s.k = 1\n s . k = 2\n", "k"), "s.k");
}
