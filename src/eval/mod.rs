//! `typewarden evaluate`: reproducible benchmarks on public keystroke datasets.
//!
//! Owns: dataset loaders (Buffalo digraph conversion, Aalto 136M subset, CMU DSL 2009,
//! Balabit mouse dynamics), the key-code mappings on the input side, the protocols,
//! metrics, DET plots and the CLI.
//!
//! Invariant: every figure is produced by the daemon's own path — dataset keys → Linux key
//! codes → `RawEvent`s → `core::clean::Cleaner` → `engine` — with one parameter set whose
//! hash is printed as `config_hash`. Nothing learned from a dataset is ever written back into
//! the crate. Errors name files and line or byte positions, never their content.

pub mod aalto;
pub mod balabit;
pub mod buffalo;
pub mod cli;
pub mod cmu;
pub mod keymap;
pub mod metrics;
pub mod mouse;
pub mod mouse_cli;
pub mod mouse_takeover;
pub mod par;
pub mod plot;
pub mod rng;
pub mod takeover;
pub mod timeline;

use std::path::PathBuf;

/// Which users a run covers (see `docs/evaluation.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Every user present.
    All,
    /// The documented development (tuning) subset.
    Dev,
    /// Every user outside the development subset.
    Heldout,
}

/// Evaluation errors.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A file is malformed (content is never quoted).
    #[error("{path}: {what} at byte {offset}")]
    Parse {
        /// File.
        path: PathBuf,
        /// What was wrong.
        what: &'static str,
        /// Byte offset.
        offset: usize,
    },
    /// A line of a text file is malformed (content is never quoted).
    #[error("{path}:{line}: {what}")]
    Line {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// Nothing to evaluate.
    #[error("{0}")]
    NoData(String),
    /// The parameter file is invalid.
    #[error("{path}: {msg}")]
    Params {
        /// File.
        path: PathBuf,
        /// The parser's message.
        msg: String,
    },
}
