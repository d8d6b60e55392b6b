//! The loop on a Unix datagram socket standing in for an evdev fd (this host has no
//! input devices; the kernel tier runs the same loop on real uinput nodes). Each datagram
//! is one `read()`'s worth of records, as evdev returns whole events.
use super::*;
use crate::core::event::{EV_KEY, EV_SYN, SYN_DROPPED};
use crate::core::timing::{CutReason, Edge, TimingKind};
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

/// Datagram: empty messages read as 0 bytes with no hang-up. Seqpacket: closing the peer
/// is a hang-up, like an unplugged device.
fn pair(ty: SockType) -> (OwnedFd, OwnedFd) {
    socketpair(
        AddressFamily::Unix,
        ty,
        None,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
    )
    .unwrap()
}

fn send(fd: &OwnedFd, evs: &[RawEvent]) {
    let bytes: Vec<u8> = evs.iter().flat_map(|e| e.to_bytes()).collect();
    nix::unistd::write(fd, &bytes).unwrap();
}

fn no_keys(_: std::os::fd::BorrowedFd<'_>) -> nix::Result<[u8; sys::KEY_BYTES]> {
    Ok([0; sys::KEY_BYTES])
}

fn idle() -> Snapshot {
    Snapshot {
        keys: [0; sys::KEY_BYTES],
        t_us: monotonic_us(),
    }
}

fn key(t: i64, code: u16, v: i32) -> [RawEvent; 2] {
    [
        RawEvent::new(t, EV_KEY, code, v),
        RawEvent::new(t, EV_SYN, 0, 0),
    ]
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn empty_wakeups_back_off_and_stall() {
    // F03: a readable fd that yields nothing must not spin.
    let (ours, theirs) = pair(SockType::Datagram);
    let (tx, _rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(run_with(
        ours,
        idle(),
        DeviceId(1),
        CleanParams::default(),
        tx,
        no_keys,
    ));
    for _ in 0..200 {
        nix::unistd::write(&theirs, &[]).unwrap();
    }
    let end = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end.exit, ReaderExit::Stalled);
    assert_eq!(end.reader.zero_progress, u64::from(ZERO_GIVE_UP));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn f32_a_tap_followed_by_silence_is_complete_without_a_timer_or_a_next_key() {
    let (ours, theirs) = pair(SockType::SeqPacket);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let _task = tokio::spawn(run_with(
        ours,
        idle(),
        DeviceId(7),
        CleanParams::default(),
        tx,
        no_keys,
    ));
    let t0 = monotonic_us();
    let start = tokio::time::Instant::now();
    send(&theirs, &[key(t0, 30, 1), key(t0 + 80_000, 30, 0)].concat());
    // The clock is paused: it moves only when every task waits on a timer. A release held
    // back for a timer (a chatter window) or left unread until the next wakeup would let the
    // 10 ms deadline pass first; delivered from the one wakeup, no virtual time passes.
    let edges = tokio::time::timeout(Duration::from_millis(10), async {
        let mut edges = vec![];
        while edges.len() < 2 {
            match rx.recv().await {
                Some(InputEvent::Timing(TimingEvent {
                    kind: TimingKind::Key { edge, .. },
                    ..
                })) => edges.push(edge),
                other => panic!("{other:?}"),
            }
        }
        edges
    })
    .await
    .expect("the tap is complete without another key or a timer");
    assert_eq!(edges, vec![Edge::Press, Edge::Release]);
    assert_eq!(tokio::time::Instant::now(), start, "no timer was waited on");
    drop(theirs);
}

#[tokio::test(flavor = "current_thread")]
async fn syn_dropped_discards_the_frame_and_resyncs() {
    let (ours, theirs) = pair(SockType::SeqPacket);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(run_with(
        ours,
        idle(),
        DeviceId(7),
        CleanParams::default(),
        tx,
        no_keys,
    ));
    let t0 = monotonic_us();
    send(&theirs, &[key(t0, 30, 1), key(t0 + 80_000, 30, 0)].concat());
    for _ in 0..2 {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(matches!(got, Ok(Some(InputEvent::Timing(_)))), "{got:?}");
    }
    // F01: SYN_DROPPED, the overflowed frame, then records after its SYN_REPORT in the same
    // read are discarded and the state comes from the (fake) EVIOCGKEY.
    let t1 = monotonic_us();
    let mut burst = key(t1, 48, 1).to_vec();
    burst.extend([
        RawEvent::new(t1 + 1, EV_SYN, SYN_DROPPED, 0),
        RawEvent::new(t1 + 2, EV_KEY, 48, 0),
    ]);
    burst.extend([
        RawEvent::new(t1 + 2, EV_SYN, 0, 0),
        RawEvent::new(t1 + 3, EV_KEY, 30, 1),
    ]);
    send(&theirs, &burst);
    drop(theirs);
    let end = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end.exit, ReaderExit::Gone);
    assert_eq!(
        (
            end.clean.overruns,
            end.reader.resyncs,
            end.reader.discarded_after_drop
        ),
        (1, 2, 1)
    );
    let mut rest = vec![];
    while let Ok(InputEvent::Timing(t)) = rx.try_recv() {
        rest.push(t.kind);
    }
    assert!(
        rest.contains(&TimingKind::Cut(CutReason::Overrun)),
        "{rest:?}"
    );
    assert!(
        !rest.iter().any(|k| matches!(
            k,
            TimingKind::Key {
                edge: Edge::Release,
                ..
            }
        )),
        "{rest:?}"
    );
}
