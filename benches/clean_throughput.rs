//! Throughput of the cleaning core: raw 24-byte `input_event` records in memory → cleaned
//! timing events, single core, against a floor loop that only decodes the same records
//! into (time, type, code, value).
//!
//! Run: `cargo bench --bench clean_throughput` (pin it with `taskset -c N` on a shared
//! machine). Prints events/s for both loops and the ratio (issue #2 target: the cleaning
//! path at ≥ 25 % of the floor). A report, not a test. Both loops read the same records
//! from memory, single-threaded, inputs and outputs behind `black_box`.

use std::hint::black_box;
use std::time::Instant;
use typewarden::core::clean::{CleanParams, Cleaner};
use typewarden::core::event::{RawEvent, EV_KEY, EV_MSC, EV_SYN, INPUT_EVENT_SIZE, SYN_REPORT};
use typewarden::core::timing::DeviceId;

/// A synthetic keyboard stream shaped like real USB HID typing: MSC_SCAN + EV_KEY +
/// SYN_REPORT per transition, overlapping keys, an occasional autorepeat burst.
fn synthetic_stream(transitions: usize) -> Vec<u8> {
    let letters: [u16; 12] = [30, 31, 32, 33, 34, 35, 36, 37, 38, 57, 18, 23];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut bytes = Vec::with_capacity(transitions * 3 * INPUT_EVENT_SIZE);
    let mut t: i64 = 1_000_000;
    let frame = |bytes: &mut Vec<u8>, t: i64, code: u16, value: i32| {
        for e in [
            RawEvent::new(t, EV_MSC, 4, 0x70000 + code as i32),
            RawEvent::new(t, EV_KEY, code, value),
            RawEvent::new(t, EV_SYN, SYN_REPORT, 0),
        ] {
            bytes.extend_from_slice(&e.to_bytes());
        }
    };
    let mut n = 0;
    while n < transitions {
        let code = letters[rnd(letters.len() as u64) as usize];
        frame(&mut bytes, t, code, 1);
        let hold = 60_000 + rnd(60_000) as i64;
        if rnd(200) == 0 {
            for k in 0..5 {
                frame(&mut bytes, t + 250_000 + k * 33_000, code, 2);
                n += 1;
            }
        }
        frame(&mut bytes, t + hold, code, 0);
        t += 90_000 + rnd(120_000) as i64;
        n += 2;
    }
    bytes
}

fn records(bytes: &[u8]) -> impl Iterator<Item = &[u8; INPUT_EVENT_SIZE]> {
    bytes
        .chunks_exact(INPUT_EVENT_SIZE)
        .filter_map(|c| c.try_into().ok())
}

fn floor(bytes: &[u8]) -> u64 {
    let mut acc = 0u64;
    for r in records(bytes) {
        let e = RawEvent::from_bytes(r);
        acc = acc.wrapping_add(e.time_us as u64 ^ e.kind as u64 ^ e.code as u64 ^ e.value as u64);
    }
    acc
}

fn clean(bytes: &[u8]) -> u64 {
    let mut c = Cleaner::new(DeviceId(1), CleanParams::default());
    let mut out = Vec::with_capacity(1024);
    let mut n = 0u64;
    for r in records(bytes) {
        c.push(&RawEvent::from_bytes(r), &mut out);
        if out.len() >= 1000 {
            n += out.len() as u64;
            black_box(&out);
            out.clear();
        }
    }
    n + out.len() as u64
}

/// Events/s of one run of `f` over `events` records.
fn rate(events: usize, f: &mut impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    black_box(f());
    events as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let bytes = synthetic_stream(2_000_000);
    let events = bytes.len() / INPUT_EVENT_SIZE;
    // Rounds alternate between the two loops and each keeps its best, so a burst of load on
    // a shared machine cannot land on one loop only and skew the ratio.
    let (mut floor_rate, mut clean_rate) = (0.0f64, 0.0f64);
    let mut floor_loop = || floor(black_box(&bytes));
    let mut clean_loop = || clean(black_box(&bytes));
    for _ in 0..15 {
        floor_rate = floor_rate.max(rate(events, &mut floor_loop));
        clean_rate = clean_rate.max(rate(events, &mut clean_loop));
    }
    let timing = clean(&bytes);
    println!(
        "records: {events} raw input_event records ({} MiB), {timing} timing events out",
        bytes.len() >> 20
    );
    println!(
        "floor (decode only):   {:>8.1} M events/s",
        floor_rate / 1e6
    );
    println!(
        "decode + clean:        {:>8.1} M events/s",
        clean_rate / 1e6
    );
    println!(
        "ratio clean/floor:     {:>8.1} %",
        100.0 * clean_rate / floor_rate
    );
}
