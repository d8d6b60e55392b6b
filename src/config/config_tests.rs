//! Tests of `build`: merging layers, defaults, the hash.

use super::*;
use crate::input::filter::DeviceFilter;

fn defaults() -> Layer {
    parse(Source::Builtin, DEFAULTS_TOML).unwrap()
}

#[test]
fn defaults_set_every_key_to_the_documented_value() {
    let c = build(vec![defaults()]).unwrap();
    assert_eq!(c.mode, Mode::Enforce);
    assert_eq!(c.state_dir, None);
    assert_eq!(
        c.input,
        InputConfig {
            chatter_ms: 20,
            max_hold_ms: 2000,
            filter: DeviceFilter::default(),
        }
    );
    assert_eq!(c.engine, EngineParams::default());
    assert_eq!(c.pointer, PointerParams::default());
    assert_eq!(c.session, SessionConfig::default());
    assert_eq!(c.policy, PolicyConfig::default());
    assert_eq!(c.sources(), [Source::Builtin]);
    assert_eq!(
        c.clean_params(),
        CleanParams::default(),
        "defaults.toml and CleanParams::default agree"
    );
}

#[test]
fn later_layers_win_key_by_key() {
    let a = parse(
        Source::File("a".into()),
        "mode = \"monitor\"\n[input]\nchatter_ms = 5\n",
    )
    .unwrap();
    let b = parse(Source::File("b".into()), "[input]\nchatter_ms = 7\n").unwrap();
    let c = build(vec![defaults(), a, b]).unwrap();
    let want = Config {
        mode: Mode::Monitor,
        input: InputConfig {
            chatter_ms: 7,
            max_hold_ms: 2000,
            filter: DeviceFilter::default(),
        },
        sources: vec![
            Source::Builtin,
            Source::File("a".into()),
            Source::File("b".into()),
        ],
        hash: c.hash.clone(),
        ..build(vec![defaults()]).unwrap()
    };
    assert_eq!(c, want);
    assert_eq!(
        c.clean_params(),
        CleanParams {
            chatter_us: 7000,
            max_hold_us: 2_000_000
        }
    );
}

#[test]
fn hash_depends_on_values_only() {
    let base = build(vec![defaults()]).unwrap();
    let same = parse(
        Source::File("x".into()),
        "# restating a default\nmode = \"enforce\"\n",
    )
    .unwrap();
    let other = parse(Source::File("y".into()), "[input]\nchatter_ms = 19\n").unwrap();
    assert_eq!(build(vec![defaults(), same]).unwrap().hash(), base.hash());
    assert_ne!(build(vec![defaults(), other]).unwrap().hash(), base.hash());
    // Pinned: the canonical JSON of the defaults, and its sha256 by coreutils `sha256sum`.
    // Changes only when the defaults or the schema change.
    let json = concat!(
        r#"{"mode":"enforce","state_dir":null,"input":{"chatter_ms":20,"max_hold_ms":2000,"#,
        r#""include":[],"exclude":[],"tokens":["1050:*"],"allow_virtual":[]},"#,
        r#""engine":{"max_latency_ms":1500.0,"min_enroll_keystrokes":800,"min_coverage":0.5,"#,
        r#""known_min_n":5,"min_calibration":200,"max_enroll_keystrokes":2000,"shrink_n":1.0,"#,
        r#""z_cap":4.0,"sd_floor":0.05,"hold_weight":1.0,"offset_window":100.0,"#,
        r#""offset_prior_n":30.0,"consistency_memory":200.0,"consistency_prior_n":3.0,"#,
        r#""evidence_cap":3.0,"target_false_locks_per_10k":0.2,"cusum_drift":0.3,"#,
        r#""evidence_sd":2.0,"reverify_level":0.5,"idle_reverify_s":30.0,"grace_keystrokes":20,"#,
        r#""grace_s":5.0,"doubt_enter":0.5,"doubt_leave":0.25,"adapt":true,"#,
        r#""adapt_delay_keystrokes":50,"adapt_max_level":0.3,"adapt_n_cap":200.0,"#,
        r#""adapt_max_shift_sd":1.0,"adapt_full_n":200.0,"adapt_unlock_keystrokes":200,"#,
        r#""inject_latency_window":16,"inject_hold_window":24,"inject_min_hold_ms":8.0,"#,
        r#""inject_min_latency_ms":20.0,"inject_latency_sd_ms":3.0,"inject_hold_sd_ms":1.5,"#,
        r#""lock_on_injection":true},"#,
        r#""pointer":{"enabled":true,"pause_ms":500,"scroll_gap_ms":500,"drag_min":8,"#,
        r#""min_steps":4,"shrink":0.2,"z_cap":3.0,"sd_floor":0.05,"stratum_shrink_n":50.0,"#,
        r#""evidence_cap":2.0,"evidence_weight":0.5,"evidence_offset":0.25,"#,
        r#""scored":["move","point_click","drag_drop"],"calibrate_after":40,"#,
        r#""min_kind_actions":60,"min_enroll_actions":600,"n_cap":5000.0,"#,
        r#""calibration_cap":400.0},"session":{"dbus_timeout_ms":2000,"#,
        r#""lock_confirm_timeout_ms":2000,"escalation":"log-only","settle_ms":2000,"#,
        r#""probable_false_lock_window_s":60,"identity":"logind-uid"},"#,
        r#""policy":{"exempt_users":[],"exempt_groups":[]}}"#,
    );
    assert_eq!(serde_json::to_string(&base).unwrap(), json);
    let pinned = "sha256:1966c2c7bd82cd44129eba3b6489efa6c0a04301d734f3103faba74388630632";
    assert_eq!(base.hash(), pinned);
}

#[test]
fn a_key_without_default_is_an_error() {
    let partial = parse(Source::Builtin, "mode = \"enforce\"\n").unwrap();
    assert_eq!(
        build(vec![partial]).unwrap_err(),
        ConfigError::Unset {
            key: "input.chatter_ms".into()
        }
    );
}

#[test]
fn every_section_key_has_a_documented_default() {
    // The built-in file itself sets every key, so the struct defaults never apply unseen.
    let layer = defaults();
    let set = |p: &Part| p.keys().map(str::to_string).collect::<Vec<_>>();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    use section::field_names;
    assert_eq!(
        sorted(set(&layer.engine)),
        sorted(field_names::<EngineParams>())
    );
    assert_eq!(
        sorted(set(&layer.pointer)),
        sorted(field_names::<PointerParams>())
    );
    assert_eq!(
        sorted(set(&layer.session)),
        sorted(field_names::<SessionConfig>())
    );
    assert_eq!(
        sorted(set(&layer.policy)),
        sorted(field_names::<PolicyConfig>())
    );
    assert_eq!(
        sorted(set(&layer.input.filter)),
        sorted(field_names::<DeviceFilter>())
    );
    assert_eq!(field_names::<EngineParams>().len(), 38);
}

#[test]
fn the_summary_is_itself_a_valid_config_with_the_same_hash() {
    let text = "state_dir = \"/srv/tw\"\n[session]\nescalation = { command = { argv = \
                [\"/bin/true\", \"{uid}\"] } }\nidentity = { file = \"/etc/k\" }\n\
                [policy]\nexempt_users = [\"alice\"]\n[input]\ninclude = [\"name~kbd\"]\n";
    let c = build(vec![
        defaults(),
        parse(Source::File("a".into()), text).unwrap(),
    ])
    .unwrap();
    let s = summary(&c).unwrap();
    let body: String = s
        .lines()
        .skip_while(|l| *l != "effective configuration:")
        .skip(1)
        .take_while(|l| !l.starts_with("config hash:"))
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let again = build(vec![
        defaults(),
        parse(Source::File("s".into()), &body).unwrap(),
    ])
    .unwrap();
    assert_eq!(again.hash(), c.hash(), "{body}");
    assert!(s.contains("state_dir: /srv/tw\n"), "{s}");
}
