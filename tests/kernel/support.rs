//! Helpers for the kernel-tier tests (`tests/kernel_*.rs`), which need a real kernel with
//! evdev and uinput: `tests/kernel/run.sh` boots one under qemu and runs them there. On a host
//! without `/dev/uinput` they print "skipping" (and fail if `TYPEWARDEN_KERNEL_TIER=1`).
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::mpsc::Receiver;
use typewarden::core::clean::CleanParams;
use typewarden::core::timing::{DeviceId, TimingEvent};
use typewarden::input::device::open_node;
use typewarden::input::reader::{self, ReaderEnd};
use typewarden::input::InputEvent;

/// True if this machine has uinput; otherwise says why the test is skipped.
pub fn kernel_tier() -> bool {
    if Path::new("/dev/uinput").exists() {
        return true;
    }
    assert!(
        std::env::var("TYPEWARDEN_KERNEL_TIER").as_deref() != Ok("1"),
        "/dev/uinput missing inside the kernel tier"
    );
    println!("skipping: no /dev/uinput here (the kernel tier runs this: tests/kernel/run.sh)");
    false
}

pub fn rt() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn rusage(who: nix::sys::resource::UsageWho) -> Duration {
    let u = nix::sys::resource::getrusage(who).unwrap();
    let tv =
        |t: nix::sys::time::TimeVal| Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
    tv(u.user_time()) + tv(u.system_time())
}

/// CPU time of the whole test process.
pub fn cpu_process() -> Duration {
    rusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
}

/// CPU time of the calling thread (the current-thread runtime that runs the readers).
pub fn cpu_thread() -> Duration {
    rusage(nix::sys::resource::UsageWho::RUSAGE_THREAD)
}

/// Starts a reader on `node` with device id `id`.
pub fn start_reader(
    rt: &Runtime,
    node: &Path,
    id: u32,
) -> (tokio::task::JoinHandle<ReaderEnd>, Receiver<InputEvent>) {
    start_reader_with(rt, node, id, CleanParams::default())
}

/// [`start_reader`] with explicit cleaning rules.
pub fn start_reader_with(
    rt: &Runtime,
    node: &Path,
    id: u32,
    params: CleanParams,
) -> (tokio::task::JoinHandle<ReaderEnd>, Receiver<InputEvent>) {
    let fd = open_node(node).unwrap();
    let snap = reader::Snapshot::read(&fd).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1 << 16);
    (
        rt.spawn(reader::run(fd, snap, DeviceId(id), params, tx)),
        rx,
    )
}

/// Lets the runtime run for `d`, collecting timing events.
pub fn collect(rt: &Runtime, rx: &mut Receiver<InputEvent>, d: Duration) -> Vec<TimingEvent> {
    rt.block_on(async {
        let mut out = vec![];
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let InputEvent::Timing(t) = ev {
                out.push(t);
            }
        }
        out
    })
}

/// Waits (running the runtime) until `pred` accepts an event, up to `limit`.
pub fn wait_for(
    rt: &Runtime,
    rx: &mut Receiver<InputEvent>,
    limit: Duration,
    mut pred: impl FnMut(&InputEvent) -> bool,
) -> Option<(InputEvent, Duration)> {
    let start = Instant::now();
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + limit;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if pred(&ev) {
                return Some((ev, start.elapsed()));
            }
        }
        None
    })
}

/// Prints a measured figure in a form run.sh collects (never asserted).
pub fn measure(what: &str, value: String) {
    println!("MEASURE {what}: {value}");
}
