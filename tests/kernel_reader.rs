//! Kernel tier: the reader and classifier on real evdev nodes (uinput devices and qemu's
//! virtio keyboard/mouse) under a real Linux kernel. Run by `tests/kernel/run.sh`; skipped
//! on hosts without `/dev/uinput`. Timing figures are printed as `MEASURE`, never asserted.

#[path = "kernel/support.rs"]
mod support;
#[path = "kernel/uinput.rs"]
mod uinput;

use std::time::{Duration, Instant};
use support::*;
use typewarden::core::timing::{CutReason, DeviceId, Edge, TimingKind};
use typewarden::input::classify::{classify, group_key, CapsKind, DeviceClass};
use typewarden::input::device::{open_node, probe};
use typewarden::input::filter::DeviceFilter;
use typewarden::input::monitor::list_event_nodes;
use typewarden::input::reader::{monotonic_us, ReaderExit};
use uinput::*;

fn presses(ev: &[typewarden::core::timing::TimingEvent], edge: Edge) -> usize {
    ev.iter()
        .filter(|t| matches!(t.kind, TimingKind::Key { edge: e, .. } if e == edge))
        .count()
}

#[test]
fn real_ioctls_classify_uinput_and_virtio_nodes() {
    if !kernel_tier() {
        return;
    }
    let f = DeviceFilter::default();
    let verdict = |node: &std::path::Path, f: &DeviceFilter| {
        let fd = open_node(node).unwrap();
        let p = probe(&fd, node, None).unwrap();
        (classify(&p.caps, &p.facts, f), p)
    };
    // F06/F19: a mouse with EV_REP and stray ESC/ENTER keys.
    let mouse = Uinput::create(&Spec {
        extra_keys: vec![1, 28],
        repeat: true,
        ..Spec::pointer("tw mouse")
    })
    .unwrap();
    let kbd = Uinput::create(&Spec {
        phys: Some("tw-usb-1/input0".into()),
        ..Spec::keyboard("tw kbd")
    })
    .unwrap();
    let media = Uinput::create(&Spec {
        letters: false,
        extra_keys: vec![113, 114, 115],
        phys: Some("tw-usb-1/input1".into()),
        ..Spec::keyboard("tw kbd")
    })
    .unwrap();
    let keyd = Uinput::create(&Spec {
        vendor: 0x0fac,
        product: 0x0ade,
        ..Spec::keyboard("keyd virtual keyboard")
    })
    .unwrap();
    let (m, _) = verdict(&mouse.node, &f);
    assert_eq!(
        (m.class, m.caps_kind, m.scored),
        (DeviceClass::Virtual, CapsKind::Pointer, false),
        "{}",
        m.reason
    );
    let (k, kp) = verdict(&kbd.node, &f);
    assert_eq!(
        (k.class, k.caps_kind, k.scored),
        (DeviceClass::Virtual, CapsKind::Keyboard, false),
        "{}",
        k.reason
    );
    assert!(kp
        .facts
        .syspath
        .as_deref()
        .unwrap()
        .starts_with("/sys/devices/virtual/input/"));
    // F07: uinput with EV_REP gets the kernel's soft-repeat defaults.
    assert_eq!(
        (kp.repeat.delay_ms, kp.repeat.period_ms, kp.repeat.reported),
        (250, 33, true)
    );
    let (md, mp) = verdict(&media.node, &f);
    assert_eq!(md.caps_kind, CapsKind::Other);
    assert_eq!(
        group_key(&kp.caps, &kp.facts),
        group_key(&mp.caps, &mp.facts),
        "two interfaces, one device"
    );
    let (kd, _) = verdict(&keyd.node, &f);
    assert!(kd.reason.contains("keyd") && !kd.scored, "{}", kd.reason);
    let allow: DeviceFilter = toml::from_str("allow_virtual = [\"name=tw kbd\"]").unwrap();
    assert!(verdict(&kbd.node, &allow).0.scored);
    // qemu's virtio devices are hardware to the guest: not virtual.
    let mut seen = 0;
    for node in list_event_nodes() {
        let (c, p) = verdict(&node, &f);
        match p.caps.name.as_str() {
            "QEMU Virtio Keyboard" => assert_eq!(
                (c.class, c.scored),
                (DeviceClass::Keyboard, true),
                "{}",
                c.reason
            ),
            // A pointer: its movements are scored since issue 8.
            "QEMU Virtio Mouse" => assert_eq!(
                (c.class, c.scored),
                (DeviceClass::Pointer, true),
                "{}",
                c.reason
            ),
            _ => continue,
        }
        seen += 1;
    }
    assert_eq!(seen, 2, "qemu was started with a virtio keyboard and mouse");
}

#[test]
fn stamps_are_monotonic_and_the_last_release_needs_no_next_key() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut kbd = Uinput::create(&Spec::keyboard("tw stamps")).unwrap();
    let (task, mut rx) = start_reader(&rt, &kbd.node, 1);
    collect(&rt, &mut rx, Duration::from_millis(50));
    let before = monotonic_us();
    kbd.key(KEY_A, 1);
    std::thread::sleep(Duration::from_millis(60));
    kbd.key(KEY_A, 0);
    let released_at = monotonic_us();
    // F32: one tap, then silence. uinput's write() has queued both frames on our evdev
    // client when it returns. The runtime's clock is paused, so it moves only when every
    // task waits on a timer: had the reader held the release back for a timer (a chatter
    // window) or left a frame unread until a next wakeup, the 10 ms deadline would pass
    // first. The property is asserted on that virtual clock, so emulation speed and host
    // load cannot make it flaky; the wall-clock latency is reported as MEASURE.
    let (got, waited) = rt.block_on(async {
        tokio::time::pause();
        let start = tokio::time::Instant::now();
        let got = tokio::time::timeout(Duration::from_millis(10), async {
            let mut edges = vec![];
            while let Some(ev) = rx.recv().await {
                if let typewarden::input::InputEvent::Timing(t) = ev {
                    if let TimingKind::Key { edge, .. } = t.kind {
                        edges.push(edge);
                        if edge == Edge::Release {
                            return (edges, t, monotonic_us());
                        }
                    }
                }
            }
            panic!("reader ended")
        })
        .await;
        let waited = start.elapsed();
        tokio::time::resume();
        (got, waited)
    });
    let (edges, t, out_at) = got.expect("the tap is complete without a further key or a timer");
    assert_eq!(edges, vec![Edge::Press, Edge::Release]);
    assert_eq!(waited, Duration::ZERO, "no timer was waited on");
    // F27: CLOCK_MONOTONIC stamps lie between our monotonic readings (realtime would be ~1e15 µs).
    assert!(
        t.t_us >= before && t.t_us <= released_at + 1_000,
        "{} not in [{before}, {released_at}]",
        t.t_us
    );
    measure(
        "F32 tap then silence: release out of the reader after its kernel stamp (wall clock, TCG)",
        format!("{} µs", out_at - t.t_us),
    );
    kbd.destroy();
    let end = rt.block_on(task).unwrap();
    assert_eq!((end.exit, end.clean.keystrokes), (ReaderExit::Gone, 1));
}

#[test]
fn autorepeat_is_never_a_keystroke_and_button_repeat_is_ignored() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut dev = Uinput::create(&Spec {
        pointer: true,
        ..Spec::keyboard("tw repeat composite")
    })
    .unwrap();
    let (task, mut rx) = start_reader(&rt, &dev.node, 2);
    collect(&rt, &mut rx, Duration::from_millis(50));
    // F06: a held button autorepeats (EV_REP) during a drag; a tap in between stays clean.
    dev.key(BTN_LEFT, 1);
    std::thread::sleep(Duration::from_millis(400));
    dev.tap(KEY_B);
    std::thread::sleep(Duration::from_millis(100));
    dev.key(BTN_LEFT, 0);
    // F05: a held letter repeats from 250 ms on at 33 ms: one press, a cut, never a keystroke.
    dev.key(KEY_A, 1);
    std::thread::sleep(Duration::from_millis(600));
    dev.key(KEY_A, 0);
    let ev = collect(&rt, &mut rx, Duration::from_millis(200));
    dev.destroy();
    let end = rt.block_on(task).unwrap();
    assert!(
        end.clean.autorepeats >= 5,
        "kernel soft repeat seen: {}",
        end.clean.autorepeats
    );
    assert_eq!(end.clean.keystrokes, 1, "only the B tap is a keystroke");
    assert_eq!(
        (presses(&ev, Edge::Press), presses(&ev, Edge::Release)),
        (2, 1)
    );
    assert!(ev
        .iter()
        .any(|t| t.kind == TimingKind::Cut(CutReason::Autorepeat)));
}

#[test]
fn stalled_reader_gets_real_syn_dropped_and_resyncs() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut kbd = Uinput::create(&Spec::keyboard("tw overrun")).unwrap();
    let (task, mut rx) = start_reader(&rt, &kbd.node, 3);
    // Let the reader start (its open-time EVIOCGKEY flushes queued key events), then make
    // the chain live so the overrun must cut it.
    collect(&rt, &mut rx, Duration::from_millis(50));
    kbd.tap(KEY_B);
    collect(&rt, &mut rx, Duration::from_millis(100));
    // F01: the runtime does not run while we write, so the reader is stalled. Ctrl goes down,
    // 30 taps (180 events) overflow the 64-event ring, Ctrl's release is lost in the drop.
    kbd.key(KEY_LEFTCTRL, 1);
    for i in 0..30 {
        kbd.tap(KEY_A);
        if i == 15 {
            kbd.key(KEY_LEFTCTRL, 0);
        }
    }
    let during = collect(&rt, &mut rx, Duration::from_millis(200));
    assert!(
        during
            .iter()
            .any(|t| t.kind == TimingKind::Cut(CutReason::Overrun)),
        "{during:?}"
    );
    // After the EVIOCGKEY resync Ctrl is known to be up: pressing it again is a clean press.
    kbd.key(KEY_LEFTCTRL, 1);
    kbd.tap(KEY_B);
    kbd.key(KEY_LEFTCTRL, 0);
    let after = collect(&rt, &mut rx, Duration::from_millis(200));
    kbd.destroy();
    let end = rt.block_on(task).unwrap();
    assert!(
        end.clean.overruns >= 1 && end.reader.resyncs >= 2,
        "{:?} {:?}",
        end.clean,
        end.reader
    );
    assert_eq!(
        (
            end.clean.duplicate_presses,
            presses(&after, Edge::Press),
            presses(&after, Edge::Release)
        ),
        (0, 2, 2)
    );
    measure(
        "F01 overrun",
        format!(
            "{} drops, {} events discarded in drop windows",
            end.clean.overruns, end.clean.dropped_events
        ),
    );
}

#[test]
fn removal_mid_read_ends_one_reader_and_the_other_keyboard_keeps_going() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut a = Uinput::create(&Spec::keyboard("tw two a")).unwrap();
    let mut b = Uinput::create(&Spec::keyboard("tw two b")).unwrap();
    let (ta, mut ra) = start_reader(&rt, &a.node, 10);
    let (tb, mut rb) = start_reader(&rt, &b.node, 11);
    collect(&rt, &mut ra, Duration::from_millis(50));
    // Distinct keys: the same key re-pressed within 20 ms is chatter (F30), dropped from timing.
    for i in 0..5 {
        a.tap(LETTERS[i]);
        b.tap(LETTERS[i + 5]);
    }
    a.key(KEY_A, 1); // F14/F15: removed with a key down; no release may be fabricated
    collect(&rt, &mut ra, Duration::from_millis(100));
    a.destroy();
    let t0 = Instant::now();
    let end_a = rt.block_on(ta).unwrap();
    measure("F10 removal noticed after", format!("{:?}", t0.elapsed()));
    for i in 0..5 {
        b.tap(LETTERS[i + 10]);
    }
    let eb = collect(&rt, &mut rb, Duration::from_millis(200));
    b.destroy();
    let end_b = rt.block_on(tb).unwrap();
    assert_eq!((end_a.exit, end_a.clean.keystrokes), (ReaderExit::Gone, 5));
    assert!(end_a.clean.cuts.contains_key(&CutReason::DeviceRemoved));
    assert_eq!((end_b.exit, end_b.clean.keystrokes), (ReaderExit::Gone, 10));
    assert!(eb.iter().all(|t| t.device == DeviceId(11)));
}

#[test]
fn a_device_grabbed_by_someone_else_is_silent_not_broken() {
    if !kernel_tier() {
        return;
    }
    // F22: another program's EVIOCGRAB starves passive readers; ours must idle, not spin or fail.
    let rt = rt();
    let mut kbd = Uinput::create(&Spec::keyboard("tw grabbed")).unwrap();
    let (task, mut rx) = start_reader(&rt, &kbd.node, 12);
    collect(&rt, &mut rx, Duration::from_millis(50));
    let grab = Grab::take(&kbd.node);
    kbd.tap(KEY_A);
    let cpu = cpu_thread();
    let during = collect(&rt, &mut rx, Duration::from_millis(300));
    let idle_cpu = cpu_thread() - cpu;
    drop(grab);
    kbd.tap(KEY_B);
    let after = collect(&rt, &mut rx, Duration::from_millis(300));
    kbd.destroy();
    let end = rt.block_on(task).unwrap();
    assert!(
        during.is_empty() && presses(&after, Edge::Release) == 1,
        "{during:?} {after:?}"
    );
    assert_eq!((end.exit, end.reader.zero_progress), (ReaderExit::Gone, 0));
    measure(
        "reader CPU while grabbed elsewhere, 300 ms",
        format!("{idle_cpu:?}"),
    );
}

#[test]
fn devices_json_lists_every_node_with_class_seat_and_reason() {
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
    let kbd = Uinput::create(&Spec::keyboard("tw listed")).unwrap();
    let out = std::process::Command::new(bin)
        .args(["devices", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), list_event_nodes().len(), "every node is listed");
    let find = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {rows:?}"))
    };
    let ours = find("tw listed");
    assert_eq!(ours["devnode"], kbd.node.display().to_string());
    assert_eq!(
        (&ours["class"], &ours["scored"], &ours["seat"]),
        (
            &serde_json::json!("virtual"),
            &serde_json::json!(false),
            &serde_json::json!("seat0 (no udev)")
        )
    );
    assert!(ours["reason"].as_str().unwrap().contains("virtual"));
    let virtio = find("QEMU Virtio Keyboard");
    assert_eq!(
        (&virtio["class"], &virtio["scored"]),
        (&serde_json::json!("keyboard"), &serde_json::json!(true))
    );
    assert!(rows
        .iter()
        .all(|r| !r["reason"].as_str().unwrap().is_empty()));
    kbd.destroy();
}
