//! Operational logging set-up: journald when its socket answers, else syslog, else stderr
//! (F43), and a second `init` leaves the first subscriber in place. Its own test binary
//! because it installs the process-global subscriber. The syslog writer is checked on a
//! socket of the test's own (never a host's /dev/log).

use tracing_subscriber::filter::LevelFilter;
use typewarden::logging::{init, level_for, LogBackend, SyslogWriter};

#[test]
fn init_picks_journald_or_stderr_and_never_fails() {
    let socket = std::path::Path::new("/run/systemd/journal/socket");
    let journal_answers = std::os::unix::net::UnixDatagram::unbound()
        .and_then(|s| s.send_to(&[], socket))
        .is_ok();
    // No syslog: this process must not write to a host's /dev/log.
    let guard = init(0, None);
    let expected = if journal_answers {
        LogBackend::Journald
    } else {
        LogBackend::Stderr
    };
    assert_eq!(guard.backend(), expected);
    tracing::info!(answer = 42, "logging works");
    assert_eq!(init(2, None).backend(), LogBackend::AlreadyInitialized);
}

#[test]
fn verbosity_maps_to_levels() {
    assert_eq!(level_for(0), LevelFilter::INFO);
    assert_eq!(level_for(1), LevelFilter::DEBUG);
    assert_eq!(level_for(5), LevelFilter::TRACE);
}

#[test]
fn the_syslog_writer_sends_one_datagram_per_event_with_its_severity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev-log");
    assert!(
        SyslogWriter::open(&path).is_err(),
        "nothing listens there yet"
    );
    let r = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    r.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let writer = SyslogWriter::open(&path).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .without_time()
        .with_level(false)
        .with_target(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(device = "kbd", "a warning");
        tracing::info!("an info line");
    });
    let pid = std::process::id();
    let mut buf = [0u8; 4096];
    let mut next = || {
        let n = r.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    };
    // facility daemon (3) * 8 + severity: warning 4, info 6.
    let (warn, info) = (next(), next());
    assert!(warn.starts_with("<28>"), "{warn}");
    assert!(
        warn.ends_with(&format!(" typewarden[{pid}]: a warning device=\"kbd\"")),
        "{warn}"
    );
    assert!(info.starts_with("<30>"), "{info}");
    assert!(
        info.ends_with(&format!(" typewarden[{pid}]: an info line")),
        "{info}"
    );
}
