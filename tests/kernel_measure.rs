//! Kernel tier measurements (report only, never asserted): the live reader against the
//! in-memory decode+clean path, and the daemon's CPU while a uinput pointer sends 8,000
//! events/s (read since issue 8: aggregated into 64 Hz frames and actions in the reader). Run by `tests/kernel/run.sh` under qemu TCG, so absolute figures describe an
//! emulated CPU; the in-memory figure is taken in the same guest for comparison.

#[path = "kernel/support.rs"]
mod support;
#[path = "kernel/uinput.rs"]
mod uinput;

use std::path::Path;
use std::time::{Duration, Instant};
use support::*;
use typewarden::core::clean::{CleanParams, Cleaner};
use typewarden::core::event::{RawEvent, EV_KEY, EV_SYN};
use typewarden::core::timing::DeviceId;
use uinput::*;

#[test]
fn measure_live_reader_throughput_against_the_in_memory_path() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut kbd = Uinput::create(&Spec::keyboard("tw throughput")).unwrap();
    let node = kbd.node.clone();
    // Chatter off: machine-speed taps of 26 letters re-press each key within milliseconds,
    // which the cleaner (rightly) drops as bounces; this measures reading, not that rule.
    let params = CleanParams {
        chatter_us: 0,
        ..CleanParams::default()
    };
    let (task, mut rx) = start_reader_with(&rt, &node, 20, params);
    collect(&rt, &mut rx, Duration::from_millis(50));
    // Bursts of 8 taps (48 events) fit the client's 64-event ring; the writer waits until
    // the reader has delivered a burst before writing the next, so nothing overflows and the
    // figure is the reader's pace, not the kernel dropping what it could not keep up with.
    const BURST: usize = 8;
    const BURSTS: usize = 1000;
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer_seen = seen.clone();
    let writer = std::thread::spawn(move || {
        for b in 0..BURSTS {
            for i in 0..BURST {
                kbd.tap(LETTERS[(b * BURST + i) % 26]);
            }
            let want = (b + 1) * BURST * 2;
            let t0 = Instant::now();
            while writer_seen.load(std::sync::atomic::Ordering::Acquire) < want {
                assert!(t0.elapsed() < Duration::from_secs(10), "reader stopped");
                std::thread::yield_now();
            }
        }
        kbd
    });
    let (cpu0, t0) = (cpu_thread(), Instant::now());
    rt.block_on(async {
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::Release) + 1;
            if n == BURSTS * BURST * 2 {
                break;
            }
        }
    });
    let (cpu, wall) = (cpu_thread() - cpu0, t0.elapsed());
    writer.join().unwrap().destroy();
    let end = rt.block_on(task).unwrap();
    let events = end.reader.events;
    measure(
        "live reader (uinput, bursts of 48 events, writer waits for delivery)",
        format!(
            "{events} raw events in {wall:?} = {:.0} ev/s wall; reader+consumer thread CPU {cpu:?} = {:.0} ev/s of CPU; {} keystrokes, {} overruns, {} wakeups",
            events as f64 / wall.as_secs_f64(),
            events as f64 / cpu.as_secs_f64(),
            end.clean.keystrokes,
            end.clean.overruns,
            end.reader.wakeups
        ),
    );
    // In-memory path: decode + clean of the same stream shape, same guest CPU. The uinput
    // device has no MSC_SCAN bit, so the kernel delivered EV_KEY + SYN_REPORT frames only.
    let mut bytes = Vec::with_capacity(BURSTS * BURST * 4 * 24);
    for i in 0..(BURSTS * BURST) as i64 {
        for (dt, v) in [(0, 1), (40_000, 0)] {
            let t = i * 100_000 + dt;
            for e in [
                RawEvent::new(t, EV_KEY, LETTERS[i as usize % 26], v),
                RawEvent::new(t, EV_SYN, 0, 0),
            ] {
                bytes.extend_from_slice(&e.to_bytes());
            }
        }
    }
    let (mut c, mut out) = (Cleaner::new(DeviceId(99), params), Vec::new());
    let t0 = Instant::now();
    for rec in bytes.chunks_exact(24) {
        c.push(&RawEvent::from_bytes(rec.try_into().unwrap()), &mut out);
    }
    let mem = t0.elapsed();
    measure(
        "in-memory decode+clean (same guest)",
        format!(
            "{} events in {mem:?} = {:.0} ev/s ({} keystrokes)",
            bytes.len() / 24,
            (bytes.len() / 24) as f64 / mem.as_secs_f64(),
            c.stats().keystrokes
        ),
    );
}

fn proc_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<u64> = stat
        .rsplit_once(") ")
        .unwrap()
        .1
        .split(' ')
        .skip(11)
        .take(2)
        .map(|x| x.parse().unwrap())
        .collect();
    let tck = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .unwrap()
        .unwrap() as u64;
    Duration::from_millis((f[0] + f[1]) * 1000 / tck)
}

/// Sends `rate` events/s for `secs` as [REL_X, SYN_REPORT] frames, one write per ms.
fn drive_pointer(dev: &mut Uinput, rate: u32, secs: u64) -> u64 {
    let per_ms = (rate / 1000 / 2) as usize;
    let (start, mut sent) = (Instant::now(), 0u64);
    let mut next = start;
    while start.elapsed() < Duration::from_secs(secs) {
        let frames: Vec<(u16, u16, i32)> = (0..per_ms)
            .flat_map(|i| [(2, 0, if i % 2 == 0 { 1 } else { -1 }), (0, 0, 0)])
            .collect();
        dev.write(&frames);
        sent += frames.len() as u64;
        next += Duration::from_millis(1);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    sent
}

#[test]
fn measure_the_pointer_reader_at_8000_events_per_second() {
    // The reader with its pointer tap on a uinput pointer sending 8,000 events/s for 3 s:
    // wakeups per second (readiness, then polling while busy), raw events, the channel
    // messages that reach the consumer, overruns.
    if !kernel_tier() {
        return;
    }
    use typewarden::core::pointer::SegmentParams;
    use typewarden::input::device::open_node;
    use typewarden::input::reader;
    use typewarden::input::InputEvent;
    let rt = rt();
    let mut dev = Uinput::create(&Spec::pointer("tw reader pointer")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let fd = open_node(&dev.node).unwrap();
    let snap = reader::Snapshot::read(&fd).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1 << 16);
    let task = rt.spawn(reader::run_with_pointer(
        fd,
        snap,
        DeviceId(7),
        CleanParams::default(),
        Some(SegmentParams::default()),
        tx,
    ));
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        let sent = drive_pointer(&mut dev, 8000, 3);
        (dev, sent, t0.elapsed())
    });
    let cpu0 = cpu_thread();
    // This thread runs the reader (a current-thread runtime) and counts what reaches it.
    let msgs = rt.block_on(async {
        // Writer: 0.2 s idle, 3 s of motion; then the movement's pause closes it.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(4500);
        let mut n = 0usize;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if matches!(ev, InputEvent::Pointer(_)) {
                n += 1;
            }
        }
        n
    });
    let cpu = cpu_thread() - cpu0;
    let (dev, sent, wall) = writer.join().unwrap();
    dev.destroy();
    let end = rt.block_on(task).unwrap();
    measure(
        "pointer reader, 8000 ev/s",
        format!(
            "{sent} events sent in {wall:?}; reader read {} events in {} wakeups ({:.0}/s), \
             {msgs} pointer messages to the consumer, {} overruns; reader thread CPU {cpu:?}",
            end.reader.events,
            end.reader.wakeups,
            end.reader.wakeups as f64 / wall.as_secs_f64(),
            end.clean.overruns
        ),
    );
}

#[test]
fn measure_daemon_cpu_under_an_8000_event_per_second_pointer() {
    if !kernel_tier() {
        return;
    }
    let Some(bin) = std::env::var_os("TYPEWARDEN_BIN") else {
        assert!(
            std::env::var("TYPEWARDEN_KERNEL_TIER").as_deref() != Ok("1"),
            "TYPEWARDEN_BIN unset in the kernel tier"
        );
        println!("skipping: TYPEWARDEN_BIN not set");
        return;
    };
    let mut daemon = std::process::Command::new(Path::new(&bin))
        .arg("daemon")
        .env("TYPEWARDEN_LOG", "warn")
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    for (what, spec) in [
        (
            "pointer node (read: aggregated into pointer actions)",
            Spec::pointer("tw fast pointer"),
        ),
        (
            "composite node (read: keys cleaned, pointer aggregated)",
            Spec {
                pointer: true,
                ..Spec::keyboard("tw fast composite")
            },
        ),
    ] {
        let mut dev = Uinput::create(&spec).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let (c0, t0) = (proc_cpu(daemon.id()), Instant::now());
        let sent = drive_pointer(&mut dev, 8000, 10);
        let (cpu, wall) = (proc_cpu(daemon.id()) - c0, t0.elapsed());
        measure(
            &format!("daemon CPU, {what}"),
            format!(
                "{cpu:?} over {wall:?} while {sent} events were sent ({:.0} ev/s)",
                sent as f64 / wall.as_secs_f64()
            ),
        );
        dev.destroy();
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(
        daemon.wait().unwrap().success(),
        "daemon exits cleanly on SIGTERM"
    );
}
