//! The audit trail: typed security events, sent to the journal with checked delivery.
//!
//! Owns the event vocabulary ([`AuditEvent`], [`EventKind`] with fixed MESSAGE_IDs), the
//! value types events may carry ([`fields`]), their journal rendering ([`AuditRecord`]) and
//! the writer thread ([`Audit`]). Invariants:
//! - no event can carry key content: fields are numbers, validated names or fixed tokens;
//! - every record is `SYSLOG_IDENTIFIER=typewarden`, `SYSLOG_FACILITY=10` (authpriv) with a
//!   `MESSAGE_ID` that `packaging/typewarden.catalog` explains (`journalctl -x`);
//! - emitting never blocks on I/O, and every record is counted as sent to the journal, to
//!   syslog (`/dev/log`, when the journal refuses it), written to stderr, lost or dropped
//!   ([`AuditStats`]); the last records stay in memory (F43).
//!
//! Operational (non-audit) logs go through `tracing` instead: see [`crate::logging`].

mod event;
pub mod fields;
mod kind;
pub(crate) mod record;
mod render;
mod send;
mod writer;

pub use event::AuditEvent;
pub use kind::{EventKind, Priority};
pub use record::{encode_field, AuditRecord, SYSLOG_FACILITY, SYSLOG_IDENTIFIER};
pub use writer::{Audit, AuditConfig, AuditHandle, AuditStats, JOURNAL_SOCKET, SYSLOG_SOCKET};
