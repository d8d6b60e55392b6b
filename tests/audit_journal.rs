//! The audit trail on the wire: every event type sent to a journal socket of our own (a
//! Unix datagram socket bound at a temp path, read like journald reads it), the catalog
//! against the code, a missing socket, a receiver that goes away and comes back, and a
//! stalled receiver that makes the bounded queue drop its oldest records.

mod audit_support;

use audit_support::{parse_datagram, samples, Sink};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;
use typewarden::audit::fields::{DeviceName, SessionId, Token};
use typewarden::audit::{encode_field, Audit, AuditConfig, AuditEvent, AuditHandle, EventKind};

const WAIT: Duration = Duration::from_secs(10);

fn config(socket: &Path) -> AuditConfig {
    AuditConfig {
        socket: socket.to_owned(),
        // These tests are about the journal and stderr; syslog has its own test, which
        // binds its own socket (a host's /dev/log is never written to).
        syslog_socket: None,
        retry_delay: Duration::from_millis(2),
        ..AuditConfig::default()
    }
}

fn receiver(path: &Path) -> UnixDatagram {
    let r = UnixDatagram::bind(path).unwrap();
    r.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    r
}

fn recv_fields(r: &UnixDatagram) -> Vec<(String, String)> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = r.recv(&mut buf).unwrap();
    parse_datagram(&buf[..n])
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

fn device_event(i: usize) -> AuditEvent {
    AuditEvent::DeviceAdded {
        device: DeviceName::sanitized(&format!("kbd-{i}")),
        device_class: Token::new("usb").unwrap(),
        seat: SessionId::new("seat0").unwrap(),
    }
}

fn emit_all(h: &AuditHandle, events: &[AuditEvent]) {
    events.iter().for_each(|e| h.emit(e));
    assert!(h.flush(WAIT), "writer did not drain its queue");
}

#[test]
fn every_event_reaches_the_journal_socket_with_its_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let sock = tmp.path().join("journal.socket");
    let r = receiver(&sock);
    let sink = Sink::default();
    let audit = Audit::start(config(&sock), Box::new(sink.clone())).unwrap();
    let events = samples();
    let kinds: BTreeSet<_> = events.iter().map(|e| e.kind().name()).collect();
    assert_eq!(
        kinds.len(),
        EventKind::ALL.len(),
        "samples must cover every event type"
    );
    // Read while the writer sends: a datagram socket queues only max_dgram_qlen (often 10).
    events.iter().for_each(|e| audit.handle().emit(e));
    for event in &events {
        let fields = recv_fields(&r);
        let expected: Vec<(String, String)> = event
            .to_record()
            .journal_fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(fields, expected);
        let map: BTreeMap<_, _> = fields.into_iter().collect();
        let kind = event.kind();
        assert_eq!(map["MESSAGE_ID"], kind.message_id());
        assert_eq!(map["PRIORITY"], (kind.priority() as u8).to_string());
        assert_eq!(map["SYSLOG_IDENTIFIER"], "typewarden");
        assert_eq!(map["SYSLOG_FACILITY"], "10");
        assert_eq!(map["TYPEWARDEN_EVENT"], kind.name());
        assert!(!map["MESSAGE"].is_empty());
        for name in map.keys() {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
    }
    let impostor = events
        .iter()
        .find(|e| e.kind() == EventKind::ImpostorDetected)
        .unwrap()
        .to_record();
    for (name, value) in [
        ("TYPEWARDEN_UID", "1000"),
        ("TYPEWARDEN_USER", "alice"),
        ("TYPEWARDEN_SESSION", "3"),
        ("TYPEWARDEN_SEAT", "seat0"),
        ("TYPEWARDEN_TRUST", "0.125"),
        ("TYPEWARDEN_THRESHOLD", "0.300"),
        ("TYPEWARDEN_KEYSTROKES", "240"),
        ("TYPEWARDEN_DEVICE_CLASS", "laptop"),
        ("TYPEWARDEN_MODE", "monitor"),
    ] {
        assert_eq!(impostor.get(name), Some(value), "{name}");
    }
    assert!(audit.handle().flush(WAIT));
    let stats = audit.shutdown(WAIT);
    let n = events.len() as u64;
    assert_eq!(
        (stats.submitted, stats.sent, stats.fallback, stats.retried),
        (n, n, 0, 0)
    );
    assert_eq!(
        sink.text(),
        "",
        "nothing goes to stderr while the journal works"
    );
}

#[test]
fn binary_safe_fields_parse_off_the_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let sock = tmp.path().join("journal.socket");
    let r = receiver(&sock);
    let mut d = Vec::new();
    encode_field(&mut d, "MESSAGE", b"two\nlines");
    encode_field(&mut d, "PLAIN", b"x=y");
    UnixDatagram::unbound().unwrap().send_to(&d, &sock).unwrap();
    let fields = recv_fields(&r);
    assert_eq!(
        fields,
        [
            ("MESSAGE".into(), "two\nlines".into()),
            ("PLAIN".into(), "x=y".into())
        ]
    );
}

#[test]
fn missing_socket_falls_back_to_stderr_and_says_so_once() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = Sink::default();
    let audit = Audit::start(
        config(&tmp.path().join("absent.socket")),
        Box::new(sink.clone()),
    )
    .unwrap();
    let h = audit.handle();
    emit_all(&h, &samples()[..3]);
    let text = sink.text();
    assert_eq!(text.matches("unavailable").count(), 1, "{text}");
    let lines: Vec<_> = text
        .lines()
        .filter(|l| !l.contains("journal socket"))
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with(
        "typewarden[audit]: daemon_started message_id=090d76dc16e04aaf9997b922ba645726 priority=5"
    ));
    assert!(
        lines[2].contains(" uid=1000 user=alice profile=uid:1000 keystrokes=1200 percent=40"),
        "{}",
        lines[2]
    );
    let stats = h.stats();
    // Only the first record retries; once the journal is known gone, records go straight on.
    assert_eq!(
        (stats.sent, stats.fallback, stats.retried, stats.lost),
        (0, 3, 3, 0)
    );
    assert_eq!(
        h.recent().len(),
        3,
        "the ring keeps records the journal did not take"
    );
}

#[test]
fn receiver_gone_mid_run_then_back() {
    let tmp = tempfile::tempdir().unwrap();
    let sock = tmp.path().join("journal.socket");
    let sink = Sink::default();
    let audit = Audit::start(config(&sock), Box::new(sink.clone())).unwrap();
    let h = audit.handle();

    let r = receiver(&sock);
    emit_all(&h, &[device_event(0), device_event(1)]);
    assert_eq!(
        recv_fields(&r)[5].1,
        "Monitoring input device \"kbd-0\" (usb) on seat0"
    );
    recv_fields(&r);
    drop(r); // the path stays: sends now fail with ECONNREFUSED
    emit_all(&h, &[device_event(2), device_event(3)]);
    let s = h.stats();
    assert_eq!((s.sent, s.fallback, s.retried), (2, 2, 3));

    std::fs::remove_file(&sock).unwrap();
    let r = receiver(&sock);
    emit_all(&h, &[device_event(4), device_event(5)]);
    assert!(recv_fields(&r)[5].1.contains("kbd-4"));
    assert!(recv_fields(&r)[5].1.contains("kbd-5"));
    let text = sink.text();
    assert_eq!(text.matches("unavailable").count(), 1, "{text}");
    assert_eq!(text.matches("reachable again").count(), 1, "{text}");
    assert!(
        text.contains("device=kbd-2") && text.contains("device=kbd-3"),
        "{text}"
    );
    let s = audit.shutdown(WAIT);
    assert_eq!(
        (s.submitted, s.sent, s.fallback, s.lost, s.dropped),
        (6, 4, 2, 0, 0)
    );
}

#[test]
fn stalled_journal_drops_oldest_queued_records_and_counts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let sock = tmp.path().join("journal.socket");
    let r = receiver(&sock); // bound, never read until the end: its queue fills, sends block
    let sink = Sink::default();
    let cfg = AuditConfig {
        queue_capacity: 8,
        ring_capacity: 4,
        retries: 1,
        send_timeout: Duration::from_millis(50),
        ..config(&sock)
    };
    let audit = Audit::start(cfg, Box::new(sink.clone())).unwrap();
    let h = audit.handle();
    let n = 5000;
    (0..n).for_each(|i| h.emit(&device_event(i)));
    let last_ring: Vec<_> = h
        .recent()
        .iter()
        .map(|r| r.get("TYPEWARDEN_DEVICE").unwrap().to_owned())
        .collect();
    assert_eq!(last_ring, ["kbd-4996", "kbd-4997", "kbd-4998", "kbd-4999"]);
    let s = audit.shutdown(Duration::from_secs(30));
    println!("{s:?}");
    assert!(s.dropped > 0, "the queue never overflowed: {s:?}");
    assert_eq!(s.submitted, n as u64);
    assert_eq!(
        s.sent + s.fallback + s.lost + s.dropped,
        s.submitted,
        "a record went uncounted"
    );
    // Drop-oldest: the newest record was delivered, to the journal or to stderr.
    r.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut journaled = String::new();
    while let Ok(len) = r.recv(&mut buf) {
        journaled.push_str(&String::from_utf8_lossy(&buf[..len]));
    }
    let newest = "TYPEWARDEN_DEVICE=kbd-4999\n";
    assert!(journaled.contains(newest) || sink.text().contains("device=kbd-4999"));
}

/// F43: no journal, but a syslog daemon: every record goes to the syslog socket (a Unix
/// datagram socket of the test's own, standing in for `/dev/log`) in the format syslog(3)
/// sends there, facility authpriv; stderr only says where records went. When syslog goes
/// away too, records go to stderr, and that is said once.
#[test]
fn without_a_journal_records_go_to_syslog_then_to_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let syslog = tmp.path().join("dev-log");
    let r = receiver(&syslog);
    let sink = Sink::default();
    let cfg = AuditConfig {
        syslog_socket: Some(syslog.clone()),
        ..config(&tmp.path().join("absent.socket"))
    };
    let audit = Audit::start(cfg, Box::new(sink.clone())).unwrap();
    let h = audit.handle();
    let events = samples();
    let pid = std::process::id();
    let mut buf = vec![0u8; 64 * 1024];
    for e in &events {
        // One at a time: an unread datagram socket holds only 10 (net.unix.max_dgram_qlen).
        emit_all(&h, std::slice::from_ref(e));
        let n = r.recv(&mut buf).unwrap();
        let line = std::str::from_utf8(&buf[..n]).unwrap();
        let pri = 80 + e.kind().priority() as u8; // authpriv (10) * 8 + severity
        let (head, body) = line.split_once(": ").unwrap();
        assert!(head.starts_with(&format!("<{pri}>")), "{line}");
        assert!(head.ends_with(&format!(" typewarden[{pid}]")), "{line}");
        // `<PRI>Mmm dd hh:mm:ss typewarden[PID]`: month, day, time, tag.
        let stamp: Vec<&str> = head[head.find('>').unwrap() + 1..]
            .split_whitespace()
            .collect();
        assert_eq!(stamp.len(), 4, "{line}");
        assert_eq!(stamp[2].len(), 8, "{line}");
        assert!(body.starts_with(&format!(
            "{} message_id={}",
            e.kind().name(),
            e.kind().message_id()
        )));
        assert!(!line.contains('\n'), "one line per record: {line:?}");
    }
    let s = h.stats();
    let n = events.len() as u64;
    assert_eq!((s.sent, s.syslog, s.fallback, s.lost), (0, n, 0, 0));
    let text = sink.text();
    assert_eq!(text.lines().count(), 2, "only notes on stderr: {text}");
    assert!(text.contains("audit records go to syslog socket"), "{text}");

    drop(r);
    std::fs::remove_file(&syslog).unwrap();
    emit_all(&h, &events[..2]);
    let text = sink.text();
    assert!(
        text.contains("syslog socket") && text.contains("unavailable"),
        "{text}"
    );
    assert_eq!(
        text.matches("audit records go to stderr").count(),
        1,
        "{text}"
    );
    let records: Vec<_> = text
        .lines()
        .filter(|l| !l.contains("journal socket"))
        .collect();
    assert_eq!(records.len(), 2, "{text}");
    assert_eq!(h.stats().fallback, 2);
}
