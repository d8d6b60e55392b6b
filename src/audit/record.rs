//! A rendered audit record and its two wire forms: the journald native protocol and the
//! stderr fallback line (pure).
//!
//! Native protocol (systemd `journal-native-protocol(7)`): one datagram of fields; a field
//! is `NAME=value\n`, or, when the value contains a newline, `NAME\n` + the value's length
//! as little-endian u64 + the value + `\n`. Names are uppercase ASCII, digits and `_`, not
//! starting with `_` (journald drops others); every name used here is a constant.

use super::kind::EventKind;
use std::time::SystemTime;

/// `SYSLOG_IDENTIFIER` of every audit record (`journalctl -t typewarden`).
pub const SYSLOG_IDENTIFIER: &str = "typewarden";
/// `SYSLOG_FACILITY`: 10 is authpriv, where security messages belong (syslog forwarding
/// to a SIEM usually selects it).
pub const SYSLOG_FACILITY: &str = "10";

/// One audit record: what is journaled, kept in the ring, or printed as a fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    kind: EventKind,
    message: String,
    fields: Vec<(&'static str, String)>,
    at: SystemTime,
}

impl AuditRecord {
    pub(super) fn new(
        kind: EventKind,
        message: String,
        fields: Vec<(&'static str, String)>,
    ) -> AuditRecord {
        AuditRecord {
            kind,
            message,
            fields,
            at: SystemTime::now(),
        }
    }

    /// The event type.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The human sentence (`MESSAGE`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// When the record was made (the ring's dump shows it; the journal stamps its own).
    pub fn at(&self) -> SystemTime {
        self.at
    }

    /// Every journal field in order: the journal's own, then the `TYPEWARDEN_*` ones.
    pub fn journal_fields(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("MESSAGE_ID", self.kind.message_id()),
            ("PRIORITY", priority_str(self.kind)),
            ("SYSLOG_IDENTIFIER", SYSLOG_IDENTIFIER),
            ("SYSLOG_FACILITY", SYSLOG_FACILITY),
            ("TYPEWARDEN_EVENT", self.kind.name()),
            ("MESSAGE", self.message.as_str()),
        ];
        out.extend(self.fields.iter().map(|(k, v)| (*k, v.as_str())));
        out
    }

    /// A field's value, if the record has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.journal_fields()
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The datagram for the journal socket.
    pub fn to_native(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        for (name, value) in self.journal_fields() {
            encode_field(&mut out, name, value.as_bytes());
        }
        out
    }

    /// The stderr fallback: `typewarden[audit]: EVENT key=value ...`, keys lowercased
    /// without the `TYPEWARDEN_` prefix, values quoted when they hold spaces or quotes.
    pub fn to_stderr_line(&self) -> String {
        format!("typewarden[audit]: {}", self.key_values())
    }

    /// The syslog fallback: one datagram for `/dev/log` in the format syslog(3) sends there
    /// (RFC 3164 without a host name): `<PRI>Mmm dd hh:mm:ss typewarden[PID]: EVENT
    /// key=value ...`, PRI being facility authpriv (10) and the event's priority. The time
    /// is UTC (no time zone database is read here); rsyslog and journald stamp records with
    /// their own receive time by default anyway.
    pub fn to_syslog(&self, pid: u32) -> Vec<u8> {
        let pri = 10 * 8 + self.kind.priority() as u8;
        let secs = self
            .at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!(
            "<{pri}>{} {SYSLOG_IDENTIFIER}[{pid}]: {}",
            rfc3164_time(secs),
            self.key_values()
        )
        .into_bytes()
    }

    /// `EVENT key=value ...` (see [`Self::to_stderr_line`]).
    fn key_values(&self) -> String {
        let mut line = self.kind.name().to_string();
        for (name, value) in self.journal_fields() {
            if matches!(
                name,
                "SYSLOG_IDENTIFIER" | "SYSLOG_FACILITY" | "TYPEWARDEN_EVENT"
            ) {
                continue;
            }
            let key = name
                .strip_prefix("TYPEWARDEN_")
                .unwrap_or(name)
                .to_ascii_lowercase();
            line.push(' ');
            line.push_str(&key);
            line.push('=');
            line.push_str(&quote(value));
        }
        line
    }
}

/// `Mmm dd hh:mm:ss` (day padded with a space) of a UTC Unix time.
pub(crate) fn rfc3164_time(secs: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, proleptic
    // Gregorian calendar).
    let z = days + 719_468;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    format!(
        "{} {day:>2} {:02}:{:02}:{:02}",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn priority_str(kind: EventKind) -> &'static str {
    ["0", "1", "2", "3", "4", "5", "6", "7"][kind.priority() as usize]
}

/// Append one field in the native protocol.
pub fn encode_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value);
    out.push(b'\n');
}

fn quote(value: &str) -> String {
    if !value.is_empty()
        && !value.contains([' ', '"', '\\', '='])
        && !value.contains(char::is_control)
    {
        return value.to_owned();
    }
    let mut q = String::from("\"");
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            c if c.is_control() => q.push_str(&c.escape_default().to_string()),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_binary_safe_fields() {
        let mut out = Vec::new();
        encode_field(&mut out, "A", b"one");
        encode_field(&mut out, "B", b"two\nlines");
        let mut expected = b"A=one\nB\n".to_vec();
        expected.extend_from_slice(&9u64.to_le_bytes());
        expected.extend_from_slice(b"two\nlines\n");
        assert_eq!(out, expected);
    }

    #[test]
    fn syslog_times_are_rfc3164() {
        assert_eq!(rfc3164_time(0), "Jan  1 00:00:00");
        // 2024-02-29 13:05:09 UTC (a leap day).
        assert_eq!(rfc3164_time(1_709_211_909), "Feb 29 13:05:09");
        // 2026-12-31 23:59:59 UTC.
        assert_eq!(rfc3164_time(1_798_761_599), "Dec 31 23:59:59");
    }

    #[test]
    fn stderr_values_are_quoted_when_needed() {
        assert_eq!(quote("alice"), "alice");
        assert_eq!(quote("AT keyboard"), "\"AT keyboard\"");
        assert_eq!(quote("a\"b\nc"), "\"a\\\"b\\nc\"");
        assert_eq!(quote(""), "\"\"");
    }
}
