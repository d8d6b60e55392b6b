//! Tests of the struct-backed sections through `parse` and `build`: `[engine]`,
//! `[policy]`, the device filter in `[input]`, and `state_dir` (`[session]`: session_tests.rs).

use super::*;
use crate::input::filter::{DeviceFilter, Matcher};

/// The built-in defaults, then each `(file name, text)` in order.
pub(super) fn load(files: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut layers = vec![parse(Source::Builtin, DEFAULTS_TOML)?];
    for (name, text) in files {
        layers.push(parse(Source::File((*name).into()), text)?);
    }
    build(layers)
}

pub(super) fn ok(files: &[(&str, &str)]) -> Config {
    load(files).unwrap()
}

pub(super) fn err(files: &[(&str, &str)]) -> String {
    load(files).unwrap_err().to_string()
}

#[test]
fn engine_layers_key_by_key() {
    let c = ok(&[
        ("a", "[engine]\nz_cap = 5\ngrace_s = 1.5\n"),
        ("b", "[engine]\nz_cap = 6.5\nadapt = false\n"),
    ]);
    let want = EngineParams {
        z_cap: 6.5,
        grace_s: 1.5,
        adapt: false,
        ..EngineParams::default()
    };
    assert_eq!(c.engine, want);
}

#[test]
fn engine_errors_name_the_line_and_key() {
    let one = |text: &str| err(&[("t.toml", text)]);
    assert_eq!(
        one("[engine]\n\n# comment\nz_cpa = 3\n"),
        "t.toml:4: engine.z_cpa: unknown key (did you mean `z_cap`?)"
    );
    assert_eq!(
        one("[engine]\nz_cap = \"3\"\n"),
        "t.toml:2: engine.z_cap: expected a number, got string \"3\""
    );
    assert_eq!(
        one("[engine]\nadapt = 1\n"),
        "t.toml:2: engine.adapt: expected a boolean, got integer `1`"
    );
    assert_eq!(
        one("[engine]\nknown_min_n = -1\n"),
        "t.toml:2: engine.known_min_n: expected an integer between 0 and 4294967295, got \
         integer `-1`"
    );
    assert_eq!(
        one("engine.target_false_locks_per_10k = 0.0\n"),
        "t.toml:1: engine.target_false_locks_per_10k: must be between 0.000001 and 100, got 0"
    );
    assert_eq!(
        one("[engine]\nhold_weight = nan\n"),
        "t.toml:2: engine.hold_weight: must be greater than 0 and at most 10, got NaN"
    );
    assert_eq!(
        one("engine = 5\n"),
        "t.toml:1: engine: expected a table, got integer `5`"
    );
}

#[test]
fn an_out_of_range_engine_value_is_blamed_on_its_file_even_if_overridden() {
    let e = err(&[
        ("10.toml", "[engine]\n\nmin_coverage = 1.5\n"),
        ("20.toml", "[engine]\nmin_coverage = 0.9\n"),
    ]);
    assert_eq!(
        e,
        "10.toml:3: engine.min_coverage: must be between 0 and 1, got 1.5"
    );
}

#[test]
fn a_constraint_between_keys_is_blamed_on_the_key_set_last() {
    // 30.toml lowers doubt_enter under 20.toml's doubt_leave: 30.toml broke it.
    let e = err(&[
        ("10.toml", "[engine]\ndoubt_leave = 0.1\n"),
        ("20.toml", "[engine]\n\n\ndoubt_leave = 0.4\n"),
        ("30.toml", "[engine]\n\ndoubt_enter = 0.3\n"),
    ]);
    assert_eq!(
        e,
        "30.toml:3: engine.doubt_enter: must be at least doubt_leave (0.4), got 0.3"
    );
    // The other way round: 20.toml raises doubt_leave over 10.toml's doubt_enter.
    let e = err(&[
        ("10.toml", "[engine]\ndoubt_enter = 0.3\n"),
        ("20.toml", "[engine]\n\n\ndoubt_leave = 0.4\n"),
        ("30.toml", "[engine]\nz_cap = 3\n"),
    ]);
    assert_eq!(
        e,
        "20.toml:4: engine.doubt_leave: must be at most doubt_enter (0.3), got 0.4"
    );
    let e = err(&[("m.toml", "[engine]\nmin_enroll_keystrokes = 3000\n")]);
    assert_eq!(
        e,
        "m.toml:2: engine.min_enroll_keystrokes: must be at most max_enroll_keystrokes \
         (2000), got 3000"
    );
}

#[test]
fn device_filter_keys_sit_next_to_the_cleaning_keys() {
    let c = ok(&[
        (
            "a",
            "[input]\nchatter_ms = 5\nexclude = [\"name=Presenter\"]\ntokens = []\n",
        ),
        (
            "b",
            "[input]\ninclude = [\"046d:c52b\", \"/dev/input/by-id/usb-k-event-kbd\"]\n",
        ),
    ]);
    assert_eq!(c.input.chatter_ms, 5);
    let want = DeviceFilter {
        include: vec![
            Matcher::VidPid(0x046d, Some(0xc52b)),
            Matcher::Link("/dev/input/by-id/usb-k-event-kbd".into()),
        ],
        exclude: vec![Matcher::Name("Presenter".into())],
        tokens: vec![],
        allow_virtual: vec![],
    };
    assert_eq!(c.input.filter, want);
    let one = |text: &str| err(&[("t.toml", text)]);
    assert_eq!(
        one("[input]\nchatter_ms = 5\nincludes = []\n"),
        "t.toml:3: input.includes: unknown key (did you mean `include`?)"
    );
    assert_eq!(
        one("[input]\nallow_virtual = \"0fac:0ade\"\n"),
        "t.toml:2: input.allow_virtual: expected an array, got string \"0fac:0ade\""
    );
    assert_eq!(
        one("[input]\n\ntokens = [\"zz\"]\n"),
        "t.toml:3: input.tokens: device matcher \"zz\": expected vid:pid (hex, pid may be *), \
         name=…, name~… or a /dev/input/by-id|by-path link"
    );
}

#[test]
fn exemptions() {
    let c = ok(&[
        (
            "a",
            "[policy]\nexempt_users = [\"alice\", \"bob\"]\nexempt_groups = [\"wheel\"]\n",
        ),
        ("b", "[policy]\nexempt_users = [\"carol\"]\n"),
    ]);
    let want = PolicyConfig {
        exempt_users: vec!["carol".into()],
        exempt_groups: vec!["wheel".into()],
    };
    assert_eq!(c.policy, want);
    let one = |text: &str| err(&[("t.toml", text)]);
    assert_eq!(
        one("[policy]\nexempt_users = [\"alice\", \"1000\"]\n"),
        "t.toml:2: policy.exempt_users: \"1000\" is all digits: write the name, not the \
         numeric id"
    );
    assert_eq!(
        one("[policy]\n\nexempt_groups = [\"a b\"]\n"),
        "t.toml:3: policy.exempt_groups: \"a b\" must not contain whitespace, control \
         characters, `:` or `/`"
    );
    assert_eq!(
        one("[policy]\nexempt_user = [\"x\"]\n"),
        "t.toml:2: policy.exempt_user: unknown key (did you mean `exempt_users`?)"
    );
    assert_eq!(
        one("exempt_users = [\"x\"]\n"),
        "t.toml:1: exempt_users: unknown key (valid keys: `mode`, `state_dir`, `input`, \
         `engine`, `pointer`, `session`, `policy`)"
    );
}

#[test]
fn state_dir_is_optional_absolute_and_layered() {
    assert_eq!(ok(&[]).state_dir, None);
    let c = ok(&[
        ("a", "state_dir = \"/srv/a\"\n"),
        ("b", "mode = \"monitor\"\n"),
        ("c", "state_dir = \"/srv/c/\"\n"),
    ]);
    assert_eq!(c.state_dir, Some("/srv/c/".into()));
    let one = |text: &str| err(&[("t.toml", text)]);
    assert_eq!(
        one("\nstate_dir = \"var/lib/tw\"\n"),
        "t.toml:2: state_dir: must be an absolute path, got \"var/lib/tw\""
    );
    assert_eq!(
        one("state_dir = \"/var/lib/../tmp\"\n"),
        "t.toml:1: state_dir: must not contain `..`, got \"/var/lib/../tmp\""
    );
    assert_eq!(
        one("state_dir = \"\"\n"),
        "t.toml:1: state_dir: must be an absolute path, got \"\""
    );
    assert_eq!(
        one("state_dir = 5\n"),
        "t.toml:1: state_dir: expected a string, got integer `5`"
    );
    // Restating it changes the hash; leaving it unset is not the same as the usual path.
    assert_ne!(
        ok(&[("a", "state_dir = \"/var/lib/typewarden\"\n")]).hash(),
        ok(&[]).hash()
    );
}
