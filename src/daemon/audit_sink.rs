//! The loop's audit sink: every record goes to the audit writer and, as a notice, to the
//! D-Bus adapter, which emits it as the Admin `AuditRecord` signal (root-only receivers,
//! by the bus policy).
//!
//! Invariant: emitting never blocks: the notice queue is bounded and a full queue drops the
//! notice (the journal still has the record), counted in the log.

use crate::audit::{AuditEvent, AuditHandle};
use crate::ipc::server::Notice;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Audit writer plus signal mirror.
pub struct Auditor {
    handle: AuditHandle,
    notices: Option<mpsc::Sender<Notice>>,
    dropped: AtomicU64,
}

impl Auditor {
    /// Records go to `handle`, and to `notices` when the API runs.
    pub fn new(handle: AuditHandle, notices: Option<mpsc::Sender<Notice>>) -> Self {
        Self {
            handle,
            notices,
            dropped: AtomicU64::new(0),
        }
    }

    /// Writes one audit record.
    pub fn emit(&self, e: &AuditEvent) {
        self.handle.emit(e);
        let Some(tx) = &self.notices else {
            return;
        };
        let r = e.to_record();
        let fields = r
            .journal_fields()
            .into_iter()
            .filter(|(k, _)| k.starts_with("TYPEWARDEN_"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let n = Notice::Audit {
            event: r.kind().name().to_string(),
            message_id: r.kind().message_id().to_string(),
            message: r.message().to_string(),
            fields,
        };
        self.notify(tx, n);
    }

    /// Sends a notice to the adapter, if it runs.
    pub fn status(&self, s: crate::ipc::types::Status) {
        if let Some(tx) = &self.notices {
            self.notify(tx, Notice::Status(s));
        }
    }

    fn notify(&self, tx: &mpsc::Sender<Notice>, n: Notice) {
        if tx.try_send(n).is_err() {
            let d = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if d.is_power_of_two() {
                tracing::warn!(dropped = d, "D-Bus notices dropped (adapter busy or gone)");
            }
        }
    }
}
