//! `typewarden check-config`: load like the daemon would and describe the result.

use super::{load, Config, ConfigError, LoadOptions};
use std::fmt::Write;
use std::path::Path;

/// Loads the configuration (from `path` instead of the `/etc` files, if given) and returns a
/// human summary: files read in order, effective values, config hash.
pub fn check_config(path: Option<&Path>, etc_root: &Path) -> Result<String, ConfigError> {
    summary(&load(&LoadOptions {
        etc_root,
        config: path,
    })?)
}

/// The summary of an already loaded configuration (pure).
pub fn summary(config: &Config) -> Result<String, ConfigError> {
    let values = toml::to_string(config).map_err(|e| ConfigError::Serialize(e.to_string()))?;
    let mut out = String::from("configuration is valid\nfiles read, later overriding earlier:\n");
    for (i, source) in config.sources().iter().enumerate() {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "  {}. {source}", i + 1);
    }
    let _ = writeln!(out, "mode: {}", config.mode.as_str());
    let _ = match &config.state_dir {
        Some(dir) => writeln!(out, "state_dir: {}", dir.display()),
        None => writeln!(
            out,
            "state_dir: not set (the daemon uses $STATE_DIRECTORY, else /var/lib/typewarden)"
        ),
    };
    out.push_str("effective configuration:\n");
    for line in values.lines() {
        match line {
            "" => out.push('\n'),
            _ => {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    let _ = writeln!(out, "config hash: {}", config.hash());
    Ok(out)
}
