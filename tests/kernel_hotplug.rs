//! Kernel tier: hotplug and the device lifecycle on a real kernel (run by
//! `tests/kernel/run.sh`; skipped on hosts without `/dev/uinput`). The busybox guest has no
//! udevd, so the manager runs on its inotify fallback, except in the udev test, where the
//! test plays systemd-udevd by multicasting libudev-format messages on the real netlink
//! group (a test double for udevd only; socket, credentials and parsing are real).

#[path = "kernel/support.rs"]
mod support;
#[path = "kernel/uinput.rs"]
mod uinput;

use std::time::{Duration, Instant};
use support::*;
use tokio::sync::mpsc::Receiver;
use typewarden::core::timing::{DeviceId, Edge, TimingKind};
use typewarden::input::manager::{Manager, ManagerConfig};
use typewarden::input::monitor::MonitorKind;
use typewarden::input::reader::ReaderExit;
use typewarden::input::InputEvent;
use uinput::*;

/// Runs a manager on its own thread and runtime; the test thread drives devices.
fn start_manager(kind: MonitorKind) -> Receiver<InputEvent> {
    let (tx, rx) = tokio::sync::mpsc::channel(1 << 16);
    let cfg = ManagerConfig {
        monitor: Some(kind),
        ..Default::default()
    };
    std::thread::spawn(move || rt().block_on(Manager::new(cfg, tx).run()).unwrap());
    rx
}

fn added(name: &str) -> impl FnMut(&InputEvent) -> bool + '_ {
    move |e| matches!(e, InputEvent::DeviceAdded(a) if a.name == name)
}

fn id_of(e: &InputEvent) -> DeviceId {
    match e {
        InputEvent::DeviceAdded(a) => a.id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn enumerates_existing_devices_then_hotplugs_and_reads_two_keyboards() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut early = Uinput::create(&Spec::keyboard("tw early")).unwrap(); // before subscribing
    let mut rx = start_manager(MonitorKind::Inotify);
    let mut early_id = None;
    let ready = wait_for(&rt, &mut rx, Duration::from_secs(10), |e| {
        if let InputEvent::DeviceAdded(a) = e {
            if a.name == "tw early" {
                early_id = Some(a.id);
            }
        }
        matches!(e, InputEvent::Ready { .. })
    });
    let Some((
        InputEvent::Ready {
            keyboards,
            unreadable,
            ..
        },
        _,
    )) = ready
    else {
        panic!("no Ready")
    };
    assert!(
        keyboards >= 2 && unreadable == 0,
        "virtio keyboard + tw early: {keyboards}, {unreadable}"
    );
    let early_id = early_id.expect("device present before start is enumerated");
    // F13: a keyboard plugged in after start is picked up by the same path.
    let t0 = Instant::now();
    let mut late = Uinput::create(&Spec::keyboard("tw late")).unwrap();
    let (ev, _) = wait_for(&rt, &mut rx, Duration::from_secs(5), added("tw late"))
        .expect("late device added");
    measure(
        "F13 hotplug add latency (inotify, uinput create → DeviceAdded)",
        format!("{:?}", t0.elapsed()),
    );
    let late_id = id_of(&ev);
    // Distinct keys: the same key re-pressed within 20 ms is chatter (F30), dropped from timing.
    for i in 0..3 {
        late.tap(LETTERS[i]);
        early.tap(LETTERS[i + 3]);
    }
    early.tap(LETTERS[6]);
    let mut releases = std::collections::BTreeMap::new();
    wait_for(&rt, &mut rx, Duration::from_secs(2), |e| {
        if let InputEvent::Timing(t) = e {
            if matches!(
                t.kind,
                TimingKind::Key {
                    edge: Edge::Release,
                    ..
                }
            ) {
                *releases.entry(t.device).or_insert(0) += 1;
            }
        }
        false
    });
    assert_eq!(
        (releases.get(&late_id), releases.get(&early_id)),
        (Some(&3), Some(&4))
    );
    late.destroy();
    let gone = wait_for(
        &rt,
        &mut rx,
        Duration::from_secs(5),
        |e| matches!(e, InputEvent::DeviceRemoved { id, .. } if *id == late_id),
    );
    assert!(matches!(
        gone,
        Some((
            InputEvent::DeviceRemoved {
                exit: ReaderExit::Gone,
                ..
            },
            _
        ))
    ));
    early.destroy();
}

#[test]
fn churn_and_fast_replug_reattach_without_spinning() {
    if !kernel_tier() {
        return;
    }
    let rt = rt();
    let mut rx = start_manager(MonitorKind::Inotify);
    wait_for(&rt, &mut rx, Duration::from_secs(10), |e| {
        matches!(e, InputEvent::Ready { .. })
    })
    .expect("ready");
    // F11: 10 keyboards, each created 400 ms before the previous one is destroyed.
    let cpu0 = cpu_process();
    let mut prev = Uinput::create(&Spec::keyboard("tw churn")).unwrap();
    for _ in 1..10 {
        std::thread::sleep(Duration::from_millis(400));
        let next = Uinput::create(&Spec::keyboard("tw churn")).unwrap();
        prev.destroy();
        prev = next;
    }
    std::thread::sleep(Duration::from_millis(400));
    prev.destroy();
    let (mut adds, mut removes) = (0, 0);
    let mut ids = std::collections::BTreeSet::new();
    wait_for(&rt, &mut rx, Duration::from_secs(3), |e| {
        match e {
            InputEvent::DeviceAdded(a) if a.name == "tw churn" => {
                adds += 1;
                ids.insert(a.id);
            }
            InputEvent::DeviceRemoved { id, exit, .. } if ids.contains(id) => {
                assert_eq!(*exit, ReaderExit::Gone);
                removes += 1;
            }
            _ => {}
        }
        adds == 10 && removes == 10
    });
    assert_eq!((adds, removes), (10, 10));
    let churn_cpu = cpu_process() - cpu0;
    // A stale fd left in the poll set would spin a core (~1 s of CPU per second).
    let idle0 = cpu_process();
    std::thread::sleep(Duration::from_secs(1));
    let idle = cpu_process() - idle0;
    measure(
        "F11 churn: process CPU for 10 create/destroy cycles (incl. uinput work)",
        format!("{churn_cpu:?}"),
    );
    measure(
        "F11 churn: process CPU over 1 s idle afterwards",
        format!("{idle:?}"),
    );
    assert!(
        idle < Duration::from_millis(250),
        "spinning after churn: {idle:?}"
    );
    // F12/F15: unplug and replug at once (the node and its minor number are reused).
    let first = Uinput::create(&Spec::keyboard("tw replug")).unwrap();
    let (a, _) = wait_for(&rt, &mut rx, Duration::from_secs(5), added("tw replug")).expect("first");
    first.destroy();
    let mut second = Uinput::create(&Spec::keyboard("tw replug")).unwrap();
    let (b, _) =
        wait_for(&rt, &mut rx, Duration::from_secs(5), added("tw replug")).expect("re-attached");
    assert_ne!(id_of(&a), id_of(&b));
    second.tap(KEY_A);
    let id_b = id_of(&b);
    let typed = wait_for(
        &rt,
        &mut rx,
        Duration::from_secs(2),
        |e| matches!(e, InputEvent::Timing(t) if t.device == id_b),
    );
    assert!(typed.is_some(), "typing on the re-plugged device is read");
    second.destroy();
}

#[test]
fn udev_monitor_opens_only_after_udevd_announces_the_node() {
    if !kernel_tier() {
        return;
    }
    use nix::sys::socket::{
        sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
    };
    let rt = rt();
    let mut rx = start_manager(MonitorKind::Udev);
    wait_for(&rt, &mut rx, Duration::from_secs(10), |e| {
        matches!(e, InputEvent::Ready { .. })
    })
    .expect("ready");
    let kbd = Uinput::create(&Spec::keyboard("tw udev")).unwrap();
    // F42: the raw kernel uevent is not enough; nothing opens it before udevd has processed it.
    assert!(wait_for(&rt, &mut rx, Duration::from_millis(500), added("tw udev")).is_none());
    let node = kbd.node.display().to_string();
    let udevd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkKObjectUEvent,
    )
    .unwrap();
    let send = |action: &str| {
        let msg = typewarden::input::udev::encode_message(&[
            ("ACTION", action),
            ("SUBSYSTEM", "input"),
            ("DEVNAME", &node),
            ("ID_INPUT", "1"),
            ("ID_INPUT_KEYBOARD", "1"),
            ("ID_SEAT", "seat1"),
            ("DEVLINKS", "/dev/input/by-id/usb-tw-udev-event-kbd"),
        ]);
        sendto(
            std::os::fd::AsRawFd::as_raw_fd(&udevd),
            &msg,
            &NetlinkAddr::new(0, 2),
            MsgFlags::empty(),
        )
        .unwrap();
    };
    send("add");
    let (ev, _) = wait_for(&rt, &mut rx, Duration::from_secs(5), added("tw udev"))
        .expect("added after udev's add");
    let InputEvent::DeviceAdded(a) = ev else {
        unreachable!()
    };
    assert_eq!(a.seat, "seat1");
    assert_eq!(
        a.links,
        vec!["/dev/input/by-id/usb-tw-udev-event-kbd".to_string()]
    );
    send("change"); // a duplicate notice for an open node is ignored
    kbd.destroy();
    send("remove");
    let removed = wait_for(
        &rt,
        &mut rx,
        Duration::from_secs(5),
        |e| matches!(e, InputEvent::DeviceRemoved { id, .. } if *id == a.id),
    );
    assert!(removed.is_some());
    assert!(
        wait_for(&rt, &mut rx, Duration::from_millis(300), added("tw udev")).is_none(),
        "change did not re-add"
    );
}
