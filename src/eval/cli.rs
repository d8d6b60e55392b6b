//! The `evaluate` subcommand: argument parsing, data location, output (text or JSON, DET
//! plot). Progress goes to stderr; results to stdout.

use crate::engine::EngineParams;
use crate::eval::{aalto, buffalo, cmu, plot, takeover, EvalError, Split};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Benchmark protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Continuous takeover simulation on the Buffalo digraph set.
    BuffaloTakeover,
    /// TypeNet's protocol on the Aalto 136M-keystrokes subset.
    Aalto,
    /// Killourhy & Maxion's protocol on the CMU password set.
    Cmu,
    /// Mouse dynamics on the Balabit challenge data (pointer modality, issue 8).
    Balabit,
    /// A mouse-only takeover on the Balabit data, through the fused policy.
    BalabitTakeover,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::BuffaloTakeover => "buffalo-takeover",
            Protocol::Aalto => "aalto",
            Protocol::Cmu => "cmu",
            Protocol::Balabit => "balabit",
            Protocol::BalabitTakeover => "balabit-takeover",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Protocol::BuffaloTakeover => "buffalo-keystroke-biokey-digraphs",
            Protocol::Aalto => "aalto-136m-keystrokes-subset",
            Protocol::Cmu => "cmu-dsl2009",
            Protocol::Balabit | Protocol::BalabitTakeover => "balabit-mouse-dynamics",
        }
    }
}

/// `typewarden evaluate PROTOCOL --data DIR [--json] [--plot FILE.svg]`.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Benchmark protocol.
    #[arg(value_enum)]
    pub protocol: Protocol,
    /// Dataset folder (default: $TYPEWARDEN_DATA/<folder>, else ../shared/data/<folder>).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write a DET plot (SVG) to this file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Users: all, the documented tuning subset (dev) or the rest (heldout).
    #[arg(long, value_enum, default_value = "all")]
    pub split: Split,
    /// Engine parameters for experiments (TOML with `[engine]` fields; for `balabit` and
    /// `balabit-takeover`, the `[pointer]` fields); default: the shipped operating point.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// `balabit` only: cross-validation inside the training files instead of the test.
    #[arg(long)]
    pub cv: bool,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

fn data_dir(args: &EvaluateArgs) -> PathBuf {
    if let Some(d) = &args.data {
        return d.clone();
    }
    let base = std::env::var_os("TYPEWARDEN_DATA")
        .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from);
    base.join(args.protocol.folder())
}

/// `--params FILE`: the fields of `T` (`[engine]` or `[pointer]` settings), else its defaults.
pub(crate) fn load_params<T: serde::de::DeserializeOwned + Default>(
    path: Option<&Path>,
) -> Result<T, EvalError> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    toml::from_str(&text).map_err(|e| EvalError::Params {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })
}

/// Runs the subcommand.
pub fn run(args: EvaluateArgs) -> Result<(), EvalError> {
    if matches!(args.protocol, Protocol::Balabit | Protocol::BalabitTakeover) {
        return crate::eval::mouse_cli::run(&args, &data_dir(&args));
    }
    let params: EngineParams = load_params(args.params.as_deref())?;
    let dir = data_dir(&args);
    let started = Instant::now();
    let mut out = json!({
        "protocol": args.protocol.name(),
        "config_hash": params.hash_hex(),
        "split": args.split,
        "data": dir.display().to_string(),
    });
    let curves: Vec<(String, Vec<f64>, Vec<f64>)> = match args.protocol {
        Protocol::BuffaloTakeover => {
            let split = args.split;
            let want = move |u: u32| match split {
                Split::All => true,
                Split::Dev => takeover::is_dev(u),
                Split::Heldout => !takeover::is_dev(u),
            };
            let (users, skipped) = buffalo::load(&dir, want, args.threads)?;
            eprintln!(
                "buffalo: {} users loaded, {} skipped",
                users.len(),
                skipped.len()
            );
            let (base, rot) = takeover::evaluate(&params, &users, args.split, args.threads, true);
            out["users_skipped"] = json!(skipped);
            out["baseline"] = to_value(&base);
            out["rotation"] = to_value(&rot);
            let mut c = Vec::new();
            for (g, r) in [("baseline", base), ("rotation", rot)] {
                for (n, gen, imp) in r.pooled {
                    c.push((format!("{g} {n} keys"), gen, imp));
                }
            }
            c
        }
        Protocol::Aalto => {
            let (users, skipped) = aalto::load(&dir, args.split, args.threads)?;
            eprintln!("aalto: {} users loaded, {} skipped", users.len(), skipped);
            let mut rep = aalto::evaluate(&params, &users, args.threads, true);
            rep.users_skipped = skipped;
            merge(&mut out, to_value(&rep));
            rep.pooled
                .into_iter()
                .map(|(g, gen, imp)| (format!("G={g}"), gen, imp))
                .collect()
        }
        Protocol::Cmu => {
            let csv = dir.join("DSL-StrongPasswordData.csv");
            let text = std::fs::read_to_string(&csv).map_err(|e| EvalError::Io {
                path: csv.clone(),
                source: e,
            })?;
            let reps = cmu::parse(&text, &csv)?;
            let ref_path = dir.join("reference_per_subject_eer_engdawood_repro.csv");
            let reference = match std::fs::read_to_string(&ref_path) {
                Ok(t) => Some(cmu::parse_reference(&t, &ref_path)?),
                Err(_) => None,
            };
            let rep = cmu::evaluate(&params, &reps, reference.as_ref());
            merge(&mut out, to_value(&rep));
            Vec::new()
        }
        Protocol::Balabit | Protocol::BalabitTakeover => Vec::new(), // handled above
    };
    out["elapsed_s"] = json!((started.elapsed().as_secs_f64() * 10.0).round() / 10.0);
    if let Some(path) = &args.plot {
        let refs: Vec<(String, &[f64], &[f64])> = curves
            .iter()
            .map(|(l, g, i)| (l.clone(), &g[..], &i[..]))
            .collect();
        let title = format!(
            "{} DET ({}), config {}",
            args.protocol.name(),
            split_name(args.split),
            params.hash_hex()
        );
        std::fs::write(path, plot::det_svg(&title, &refs)).map_err(|e| EvalError::Io {
            path: path.clone(),
            source: e,
        })?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        print_text(&out, "");
    }
    Ok(())
}

pub(crate) fn split_name(s: Split) -> &'static str {
    match s {
        Split::All => "all users",
        Split::Dev => "dev subset",
        Split::Heldout => "held-out users",
    }
}

pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub(crate) fn merge(out: &mut Value, v: Value) {
    if let (Value::Object(o), Value::Object(m)) = (out, v) {
        o.extend(m);
    }
}

pub(crate) fn print_text(v: &Value, indent: &str) {
    let Value::Object(m) = v else { return };
    for (k, x) in m {
        match x {
            Value::Object(_) => {
                println!("{indent}{k}:");
                print_text(x, &format!("{indent}  "));
            }
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() => println!("{indent}{k}: {f:.4}"),
                _ => println!("{indent}{k}: {n}"),
            },
            _ => println!("{indent}{k}: {x}"),
        }
    }
}
