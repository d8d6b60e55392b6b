//! Errors of the trace parsers.
//!
//! Owns: [`TraceError`] and the crate-internal [`Bad`] that the format parsers return before
//! the file name is attached.
//!
//! Invariant (privacy, helper brief rule 1): every message about file *content* is a
//! `&'static str`, so it cannot quote the offending line, a key code or a value. Only I/O
//! errors carry a dynamic part, and that comes from the OS, not from the file.

use std::path::PathBuf;

/// Why a trace could not be loaded. `Display` is `file:line: what is wrong` for a problem on
/// one line and `file: what is wrong` for a whole-file problem.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// A problem on one line (1-based).
    #[error("{}:{line}: {what}", file.display())]
    Line {
        /// The file as given by the caller.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong; never contains file content.
        what: &'static str,
    },
    /// A problem with the whole file (empty, binary, unknown format, missing section…).
    #[error("{}: {what}", file.display())]
    File {
        /// The file as given by the caller.
        file: PathBuf,
        /// What is wrong; never contains file content.
        what: &'static str,
    },
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", file.display())]
    Io {
        /// The file as given by the caller.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl TraceError {
    /// The 1-based line of a line-level error.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Line { line, .. } => Some(*line),
            Self::File { .. } | Self::Io { .. } => None,
        }
    }
}

/// A content problem found by a format parser: `line` is `None` for whole-file problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bad {
    pub line: Option<usize>,
    pub what: &'static str,
}

impl Bad {
    /// A problem on 1-based line `line`.
    pub fn at(line: usize, what: &'static str) -> Self {
        Self {
            line: Some(line),
            what,
        }
    }

    /// A whole-file problem.
    pub fn file(what: &'static str) -> Self {
        Self { line: None, what }
    }

    /// Attaches the file name.
    pub fn into_error(self, file: PathBuf) -> TraceError {
        match self.line {
            Some(line) => TraceError::Line {
                file,
                line,
                what: self.what,
            },
            None => TraceError::File {
                file,
                what: self.what,
            },
        }
    }
}
