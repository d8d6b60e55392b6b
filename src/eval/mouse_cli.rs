//! `typewarden evaluate balabit` and `balabit-takeover`: loading, the test protocol, the
//! cross-validation or the takeover, the JSON/text output and the DET plot. Progress goes
//! to stderr, results to stdout.

use crate::engine::pointer::PointerParams;
use crate::engine::EngineParams;
use crate::eval::cli::{load_params, merge, print_text, to_value, EvaluateArgs, Protocol};
use crate::eval::{balabit, mouse, mouse_takeover, plot, EvalError};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Runs the protocol on the data in `dir`.
pub fn run(args: &EvaluateArgs, dir: &Path) -> Result<(), EvalError> {
    let p: PointerParams = load_params(args.params.as_deref())?;
    let started = Instant::now();
    let users = balabit::load(dir, args.threads, true)?;
    let prepared = mouse::prepare(&users, &p, args.threads);
    drop(users);
    eprintln!("balabit: {} users segmented", prepared.len());
    let takeover = args.protocol == Protocol::BalabitTakeover;
    let ep = EngineParams::default();
    let mut out = json!({
        "protocol": match (takeover, args.cv) {
            (true, _) => "balabit-takeover",
            (false, true) => "balabit-cv",
            (false, false) => "balabit",
        },
        "pointer_config_hash": p.hash_hex(),
        "data": dir.display().to_string(),
    });
    if takeover {
        out["config_hash"] = json!(ep.hash_hex());
        let rep = mouse_takeover::evaluate(&ep, &p, &prepared, args.threads, true);
        merge(&mut out, to_value(&rep));
    } else if args.cv {
        merge(
            &mut out,
            to_value(&mouse::cross_validate(&prepared, &p, args.threads)),
        );
    } else {
        let rep = mouse::evaluate(&prepared, &p, args.threads, true);
        if let Some(path) = &args.plot {
            let (g, i) = &rep.pooled;
            let title = format!(
                "balabit DET (test sessions), pointer config {}",
                p.hash_hex()
            );
            let svg = plot::det_svg(&title, &[("session score".to_string(), &g[..], &i[..])]);
            std::fs::write(path, svg).map_err(|e| EvalError::Io {
                path: path.clone(),
                source: e,
            })?;
        }
        merge(&mut out, to_value(&rep));
    }
    out["elapsed_s"] = json!((started.elapsed().as_secs_f64() * 10.0).round() / 10.0);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        print_text(&out, "");
    }
    Ok(())
}
