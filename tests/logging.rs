//! Operational logging set-up: journald when its socket answers, else stderr (F43), and a
//! second `init` leaves the first subscriber in place. Its own test binary because it
//! installs the process-global subscriber.

use tracing_subscriber::filter::LevelFilter;
use typewarden::logging::{init, level_for, LogBackend};

#[test]
fn init_picks_journald_or_stderr_and_never_fails() {
    let socket = std::path::Path::new("/run/systemd/journal/socket");
    let journal_answers = std::os::unix::net::UnixDatagram::unbound()
        .and_then(|s| s.send_to(&[], socket))
        .is_ok();
    let guard = init(0);
    let expected = if journal_answers {
        LogBackend::Journald
    } else {
        LogBackend::Stderr
    };
    assert_eq!(guard.backend(), expected);
    tracing::info!(answer = 42, "logging works");
    assert_eq!(init(2).backend(), LogBackend::AlreadyInitialized);
}

#[test]
fn verbosity_maps_to_levels() {
    assert_eq!(level_for(0), LevelFilter::INFO);
    assert_eq!(level_for(1), LevelFilter::DEBUG);
    assert_eq!(level_for(5), LevelFilter::TRACE);
}
