//! Tests of `layer`: one file → `Layer`, and how its errors read.

use super::*;

/// A layer that set nothing.
fn empty(source: Source) -> Layer {
    Layer {
        source,
        mode: None,
        state_dir: None,
        input: InputLayer::default(),
        engine: Part::default(),
        pointer: Part::default(),
        session: Part::default(),
        policy: Part::default(),
    }
}

fn err(text: &str) -> String {
    parse(Source::File("t.toml".into()), text)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_file_sets_only_what_it_writes() {
    let layer = parse(Source::Builtin, "[input]\nmax_hold_ms = 300\n").unwrap();
    let want = Layer {
        input: InputLayer {
            chatter_ms: None,
            max_hold_ms: Some(300),
            filter: Part::default(),
        },
        ..empty(Source::Builtin)
    };
    assert_eq!(layer, want);
    let layer = parse(
        Source::Builtin,
        "mode = \"monitor\"\ninput.chatter_ms = 0\n",
    )
    .unwrap();
    assert_eq!(layer.mode, Some(Mode::Monitor));
    assert_eq!(layer.input.chatter_ms, Some(0));
    assert_eq!(layer.input.max_hold_ms, None);
    let nothing = parse(Source::Builtin, "# nothing\n").unwrap();
    assert_eq!(nothing, empty(Source::Builtin));
}

#[test]
fn errors_name_file_line_and_key() {
    assert_eq!(
        err("\n\n[input]\nchater_ms = 3\n"),
        "t.toml:4: input.chater_ms: unknown key (did you mean `chatter_ms`?)"
    );
    assert_eq!(
        err("[input]\nchatter_ms = 51\n"),
        "t.toml:2: input.chatter_ms: must be between 0 and 50, got 51"
    );
    assert_eq!(
        err("[input]\nmax_hold_ms = -1\n"),
        "t.toml:2: input.max_hold_ms: must be between 200 and 10000, got -1"
    );
    assert_eq!(
        err("mode = \"lock\"\n"),
        "t.toml:1: mode: expected one of \"enforce\", \"monitor\", got string \"lock\""
    );
    assert_eq!(
        err("mode = 1\n"),
        "t.toml:1: mode: expected one of \"enforce\", \"monitor\", got integer `1`"
    );
    assert_eq!(
        err("[input]\nchatter_ms = 2.5\n"),
        "t.toml:2: input.chatter_ms: expected an integer, got floating point `2.5`"
    );
    assert_eq!(
        err("input = 5\n"),
        "t.toml:1: input: expected a table, got integer `5`"
    );
    assert_eq!(
        err("[inptu]\n"),
        "t.toml:1: inptu: unknown key (did you mean `input`?)"
    );
    assert_eq!(
        err("x.y = 1\n"),
        "t.toml:1: x: unknown key (valid keys: `mode`, `state_dir`, `input`, `engine`, `pointer`, `session`, `policy`)"
    );
}

#[test]
fn syntax_and_duplicates_name_their_line() {
    assert_eq!(
        err("mode = \"enforce\"\n[input\n"),
        "t.toml:2: syntax error: unclosed table, expected `]`"
    );
    assert_eq!(
        err("[input]\nchatter_ms = 1\nchatter_ms = 2\n"),
        "t.toml:3: input.chatter_ms: duplicate key"
    );
    assert_eq!(
        err("mode = \"enforce\"\nmode = \"monitor\"\n"),
        "t.toml:2: mode: duplicate key"
    );
    assert_eq!(err("[input]\n[input]\n"), "t.toml:2: input: duplicate key");
}

#[test]
fn odd_duplicates_are_located() {
    assert_eq!(
        err("input.chatter_ms = 1\ninput.chatter_ms = 2\n"),
        "t.toml:2: input.chatter_ms: duplicate key"
    );
    assert_eq!(
        err("[input]\nchatter_ms = 1\n[input]\n"),
        "t.toml:3: input: duplicate key"
    );
}

#[test]
fn truncated_files_never_panic_and_stay_in_range() {
    let text = crate::config::DEFAULTS_TOML;
    let lines = text.lines().count();
    for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
        match parse(Source::Builtin, &text[..end]) {
            Err(ConfigError::Invalid { line, .. } | ConfigError::Syntax { line, .. }) => {
                assert!((1..=lines).contains(&line), "line {line} for prefix {end}")
            }
            Err(e) => panic!("unexpected error kind {e}"),
            Ok(_) => {}
        }
    }
}
