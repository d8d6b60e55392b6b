//! `config::load` against real files in a temporary `/etc` root: layering order and errors.
//! Path-hygiene refusals are in `config_hygiene.rs`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use typewarden::config::{load, ConfigError, InputConfig, LoadOptions, Mode, Source};
use typewarden::input::filter::DeviceFilter;

/// A temporary `/etc` with a `typewarden/` directory; files are written 0644.
struct Etc {
    root: tempfile::TempDir,
}

impl Etc {
    fn new() -> Self {
        let etc = Self {
            root: tempfile::tempdir().unwrap(),
        };
        fs::create_dir(etc.dir()).unwrap();
        fs::set_permissions(etc.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        etc
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("typewarden")
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        path
    }

    fn load(&self, config: Option<&Path>) -> Result<typewarden::config::Config, ConfigError> {
        load(&LoadOptions {
            etc_root: self.root.path(),
            config,
        })
    }
}

fn file(p: &Path) -> Source {
    Source::File(p.to_path_buf())
}

#[test]
fn no_etc_directory_means_defaults_only() {
    let root = tempfile::tempdir().unwrap();
    let c = load(&LoadOptions {
        etc_root: root.path(),
        config: None,
    })
    .unwrap();
    assert_eq!(c.sources(), [Source::Builtin]);
    assert_eq!(
        (c.mode, c.input),
        (
            Mode::Enforce,
            InputConfig {
                chatter_ms: 20,
                max_hold_ms: 2000,
                filter: DeviceFilter::default(),
            }
        )
    );
}

#[test]
fn main_file_then_drop_ins_in_lexical_order() {
    let etc = Etc::new();
    let main = etc.write(
        "typewarden.toml",
        "mode = \"monitor\"\n[input]\nchatter_ms = 1\nmax_hold_ms = 300\n",
    );
    // Created out of order, and enough of them that directory order is unlikely to be
    // lexical by chance: 10-a … 60-f, each raising chatter_ms; 10-a also sets max_hold_ms.
    let names = ["40-d", "20-b", "60-f", "10-a", "50-e", "30-c"];
    for name in names {
        let n = name.as_bytes()[0] - b'0';
        let extra = if n == 1 { "max_hold_ms = 400\n" } else { "" };
        let text = format!("[input]\nchatter_ms = {n}\n{extra}");
        etc.write(&format!("typewarden.toml.d/{name}.toml"), &text);
    }
    // Not `*.toml`: never read, even though their content is invalid.
    etc.write("typewarden.toml.d/README", "not toml at all [");
    etc.write("typewarden.toml.d/70-z.toml.bak", "bogus = 1\n");
    let c = etc.load(None).unwrap();
    let mut want = vec![Source::Builtin, file(&main)];
    let mut sorted = names;
    sorted.sort();
    want.extend(sorted.map(|n| file(&etc.dir().join(format!("typewarden.toml.d/{n}.toml")))));
    assert_eq!(c.sources(), want);
    assert_eq!(c.mode, Mode::Monitor);
    let input = InputConfig {
        chatter_ms: 6,
        max_hold_ms: 400,
        filter: DeviceFilter::default(),
    };
    assert_eq!(c.input, input);
}

#[test]
fn drop_ins_without_main_file() {
    let etc = Etc::new();
    let d = etc.write("typewarden.toml.d/local.toml", "mode = \"monitor\"\n");
    let c = etc.load(None).unwrap();
    assert_eq!(c.sources(), [Source::Builtin, file(&d)]);
    assert_eq!((c.mode, c.input.chatter_ms), (Mode::Monitor, 20));
}

#[test]
fn config_path_replaces_the_etc_files() {
    let etc = Etc::new();
    etc.write("typewarden.toml", "mode = \"monitor\"\n");
    etc.write("typewarden.toml.d/a.toml", "[input]\nchatter_ms = 1\n");
    let own = etc.root.path().join("own.toml");
    fs::write(&own, "[input]\nmax_hold_ms = 500\n").unwrap();
    fs::set_permissions(&own, fs::Permissions::from_mode(0o600)).unwrap();
    let c = etc.load(Some(&own)).unwrap();
    assert_eq!(c.sources(), [Source::Builtin, file(&own)]);
    assert_eq!(
        (c.mode, c.input),
        (
            Mode::Enforce,
            InputConfig {
                chatter_ms: 20,
                max_hold_ms: 500,
                filter: DeviceFilter::default(),
            }
        )
    );
}

#[test]
fn missing_config_path_is_an_error() {
    let etc = Etc::new();
    let missing = etc.root.path().join("nope.toml");
    let err = etc.load(Some(&missing)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: does not exist", missing.display())
    );
}

#[test]
fn content_errors_name_the_file_and_line() {
    let cases = [
        (
            "\n\n[input]\nchater_ms = 3\n",
            "4: input.chater_ms: unknown key (did you mean `chatter_ms`?)",
        ),
        (
            "[input]\n\n\nmax_hold_ms = 50\n",
            "4: input.max_hold_ms: must be between 200 and 10000, got 50",
        ),
        (
            "mode = \"on\"\n",
            "1: mode: expected one of \"enforce\", \"monitor\", got string \"on\"",
        ),
        (
            "[input]\nchatter_ms = \"20\"\n",
            "2: input.chatter_ms: expected an integer, got string \"20\"",
        ),
        (
            "mode = \"monitor\"\n\n[input\n",
            "3: syntax error: unclosed table, expected `]`",
        ),
        (
            "[input]\nchatter_ms = 1\nchatter_ms = 1\n",
            "3: input.chatter_ms: duplicate key",
        ),
    ];
    for (text, want) in cases {
        let etc = Etc::new();
        let path = etc.write("typewarden.toml", text);
        let err = etc.load(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}:{want}", path.display()),
            "for {text:?}"
        );
    }
}

#[test]
fn a_bad_drop_in_is_blamed_even_if_overridden_later() {
    let etc = Etc::new();
    let bad = etc.write("typewarden.toml.d/10.toml", "[input]\nchatter_ms = 99\n");
    etc.write("typewarden.toml.d/20.toml", "[input]\nchatter_ms = 10\n");
    let err = etc.load(None).unwrap_err();
    let want = ConfigError::Invalid {
        file: bad.display().to_string(),
        line: 2,
        key: "input.chatter_ms".into(),
        what: "must be between 0 and 50, got 99".into(),
    };
    assert_eq!(err, want);
}
