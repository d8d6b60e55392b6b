//! What the daemon audits before it can run: a configuration it refuses to start with
//! (issue 5: "config rejected" is an audit event, not only a line on stderr).

use crate::audit::fields::Token;
use crate::audit::{Audit, AuditConfig, AuditEvent};
use crate::config::ConfigError;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the one record may take to reach the journal (else it goes to stderr).
const FLUSH: Duration = Duration::from_secs(2);

/// Sends a `config_rejected` record for `err` to the journal socket at `socket` (else the
/// syslog socket `syslog`, else stderr), and waits for it. Never fails: startup stops on `err` either way.
pub fn audit_rejected_config(err: &ConfigError, socket: &Path, syslog: &Path) {
    let cfg = AuditConfig {
        socket: socket.to_path_buf(),
        syslog_socket: Some(syslog.to_path_buf()),
        ..AuditConfig::default()
    };
    let Ok(audit) = Audit::start(cfg, Box::new(std::io::stderr())) else {
        return;
    };
    let (file, line, key) = err.location();
    audit.handle().emit(&AuditEvent::ConfigRejected {
        path: PathBuf::from(file.unwrap_or("<configuration>")),
        line: line.and_then(|l| u32::try_from(l).ok()),
        config_key: key.and_then(|k| Token::new(k).ok()),
        at_startup: true,
    });
    audit.shutdown(FLUSH);
}
