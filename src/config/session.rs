//! `[session]`: [`SessionConfig`] as a config section; its own `validate` holds the ranges.

use super::section::{KeyError, Section};
use crate::session::config::SessionConfig;

impl Section for SessionConfig {
    /// Every check of `validate` concerns one key (`escalation` as a whole counts as one).
    fn check_keys(&self) -> Result<(), KeyError> {
        self.validate().map_err(|e| KeyError {
            key: e.key.to_string(),
            what: e.what,
        })
    }
}
