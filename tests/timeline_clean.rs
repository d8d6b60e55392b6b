//! Timeline tests for every cleaning rule of `core::clean`, written in the DSL of
//! `tests/common/timeline.rs`. Each test names the field case it guards.

mod common;
use common::timeline::{clean, clean_with};
use typewarden::core::clean::CleanParams;

#[test]
fn plain_typing_passes_through() {
    assert_eq!(
        clean("d:a t:80 u:a t:40 d:b t:90 u:b end"),
        "0:dn:a 80:up:a 120:dn:b 210:up:b"
    );
}

#[test]
fn rollover_keeps_kernel_order() {
    assert_eq!(
        clean("d:a t:30 d:b t:50 u:a t:40 u:b end"),
        "0:dn:a 30:dn:b 80:up:a 120:up:b"
    );
}

#[test]
fn f05_autorepeat_is_never_a_keystroke() {
    let (out, c) = clean_with(
        CleanParams::default(),
        "d:a t:250 r:a t:33 r:a t:33 r:a t:84 u:a t:100 d:b t:80 u:b end",
    );
    assert_eq!(out, "0:dn:a 250:cut:autorepeat 500:dn:b 580:up:b");
    assert_eq!(c.stats().autorepeats, 3);
    assert_eq!(c.stats().keystrokes, 1);
}

#[test]
fn f05_repeat_stopped_by_another_key_infers_no_release() {
    // keyboard_ctrl+shift+y: Ctrl repeats until Shift goes down; Ctrl's release comes last.
    assert_eq!(
        clean("d:ctrl t:250 r:ctrl t:33 r:ctrl t:10 d:shift t:100 d:y t:80 u:y t:20 u:shift t:20 u:ctrl end"),
        "0:dn:ctrl 250:cut:autorepeat 293:dn:shift 393:dn:y 473:up:y 493:up:shift"
    );
}

#[test]
fn f01_syn_dropped_discards_to_syn_report_and_takes_resynced_state() {
    let (out, c) = clean_with(
        CleanParams::default(),
        "d:ctrl t:10 d:a t:80 drop d:b t:50 resync:b t:20 u:b t:10 d:c t:70 u:c end",
    );
    // The frame after SYN_DROPPED (b's press) is discarded; b is known down only from the
    // resync, so its release carries no timing; ctrl's lost release is never fabricated.
    assert_eq!(out, "0:dn:ctrl 10:dn:a 90:cut:overrun 170:dn:c 240:up:c");
    assert_eq!(c.stats().overruns, 1);
    assert_eq!(c.stats().dropped_events, 2);
    assert_eq!(c.stats().orphan_releases, 0);
}

#[test]
fn f01_a_release_before_an_overrun_is_still_real() {
    assert_eq!(
        clean("d:a t:50 u:a t:5 drop"),
        "0:dn:a 50:up:a 55:cut:overrun"
    );
}

#[test]
fn f09_orphan_release_at_start_is_dropped_without_a_cut() {
    let (out, c) = clean_with(CleanParams::default(), "u:enter t:100 d:a t:80 u:a end");
    assert_eq!(out, "100:dn:a 180:up:a");
    assert_eq!(c.stats().orphan_releases, 1);
}

#[test]
fn orphan_release_mid_stream_cuts_the_chain() {
    assert_eq!(
        clean("d:a t:80 u:a t:50 u:b t:50 d:c t:60 u:c end"),
        "0:dn:a 80:up:a 130:cut:orphan_release 180:dn:c 240:up:c"
    );
}

#[test]
fn f09_keys_down_at_open_come_from_resync_and_their_release_is_quiet() {
    let (out, c) = clean_with(
        CleanParams::default(),
        "resync:enter t:100 u:enter t:50 d:a t:70 u:a end",
    );
    assert_eq!(out, "150:dn:a 220:up:a");
    assert_eq!(c.stats().orphan_releases, 0);
}

#[test]
fn duplicate_press_cuts_and_voids_the_key() {
    // keyboard_alt+shift+i: every EV_KEY value is 1.
    let (out, c) = clean_with(
        CleanParams::default(),
        "d:alt t:50 d:shift t:50 d:i t:60 d:i t:40 d:shift t:40 d:alt end",
    );
    assert_eq!(out, "0:dn:alt 50:dn:shift 100:dn:i 160:cut:duplicate_press");
    assert_eq!(c.stats().duplicate_presses, 3);
    assert_eq!(c.stats().keystrokes, 0);
}

#[test]
fn f30_chatter_is_dropped_from_timing_and_cuts_the_chain() {
    // The field case: one intended "o" arrives as two press/release pairs 8 ms apart. The
    // first release is out at once (F32); the bounce and its release never are, and the cut
    // stops a latency being measured from the bounced release.
    let (out, c) = clean_with(
        CleanParams::default(),
        "d:o t:60 u:o t:8 d:o t:27 u:o t:100 d:p t:80 u:p end",
    );
    assert_eq!(out, "0:dn:o 60:up:o 68:cut:chatter 195:dn:p 275:up:p");
    assert_eq!(c.stats().chatter_bounces, 1);
    assert_eq!(c.stats().keystrokes, 2);
    assert_eq!(c.stats().duplicate_presses + c.stats().orphan_releases, 0);
}

#[test]
fn f30_a_bouncing_keypad_counts_every_bounce_and_feeds_none() {
    // input-remapper #486: "11112111121111" from one press each; a bounce's own release
    // opens the next chatter window.
    let (out, c) = clean_with(
        CleanParams::default(),
        "d:1 t:40 u:1 t:5 d:1 t:3 u:1 t:6 d:1 t:2 u:1 t:200 d:2 t:50 u:2 end",
    );
    assert_eq!(out, "0:dn:1 40:up:1 45:cut:chatter 256:dn:2 306:up:2");
    assert_eq!(c.stats().chatter_bounces, 2);
    assert_eq!(c.stats().keystrokes, 2);
}

#[test]
fn f30_a_real_double_letter_is_not_chatter() {
    // keyboard_g+o+o+d+enter: "oo" with a 50 ms gap is two keystrokes.
    assert_eq!(
        clean("d:o t:80 u:o t:50 d:o t:80 u:o end"),
        "0:dn:o 80:up:o 130:dn:o 210:up:o"
    );
}

#[test]
fn chatter_window_boundary_is_inclusive_and_zero_disables_it() {
    assert_eq!(
        clean("d:o t:60 u:o t:20 d:o t:20 u:o end"),
        "0:dn:o 60:up:o 80:cut:chatter"
    );
    assert_eq!(
        clean("d:o t:60 u:o t:21 d:o t:20 u:o end"),
        "0:dn:o 60:up:o 81:dn:o 101:up:o"
    );
    let off = CleanParams {
        chatter_us: 0,
        ..CleanParams::default()
    };
    assert_eq!(
        clean_with(off, "d:o t:60 u:o d:o t:20 u:o end").0,
        "0:dn:o 60:up:o 60:dn:o 80:up:o"
    );
}

#[test]
fn chatter_is_per_key_whatever_is_typed_in_between() {
    // Another key in the window does not make a 10 ms same-key re-press human.
    assert_eq!(
        clean("d:o t:60 u:o t:5 d:p t:5 d:o t:30 u:p t:10 u:o end"),
        "0:dn:o 60:up:o 65:dn:p 70:cut:chatter"
    );
    // A release that carried no timing (voided by a cut) still starts its key's window.
    assert_eq!(
        clean("d:a t:30 drop t:1 syn t:10 u:a t:5 d:a t:50 u:a t:100 d:a t:50 u:a end"),
        "0:dn:a 30:cut:overrun 196:dn:a 246:up:a"
    );
}

#[test]
fn f32_a_tap_is_complete_when_its_release_arrives() {
    // Nothing is held back for later: the release is out in the call that brought it, with
    // no further event, flush or end of stream.
    let mut c = typewarden::core::clean::Cleaner::new(
        typewarden::core::timing::DeviceId(1),
        CleanParams::default(),
    );
    let mut out = Vec::new();
    for e in common::timeline::raw_events("d:a t:80 u:a") {
        c.push(&e, &mut out);
    }
    assert_eq!(common::timeline::render(&out), "0:dn:a 80:up:a");
    assert_eq!(c.stats().keystrokes, 1);
}

#[test]
fn long_holds_are_cut_at_release_and_while_still_down() {
    assert_eq!(clean("d:a t:2500 u:a end"), "0:dn:a 2500:cut:long_hold");
    assert_eq!(
        clean("d:shift t:2100 d:a t:50 u:a end"),
        "0:dn:shift 2100:cut:long_hold 2100:dn:a 2150:up:a"
    );
    let strict = CleanParams {
        max_hold_us: 300_000,
        ..CleanParams::default()
    };
    assert_eq!(
        clean_with(strict, "d:a t:301 u:a end").0,
        "0:dn:a 301:cut:long_hold"
    );
}

#[test]
fn f10_f14_removal_cuts_clears_state_and_fabricates_nothing() {
    assert_eq!(
        clean("d:ctrl t:40 d:alt t:20 rm t:1940 d:h t:80 u:h end"),
        "0:dn:ctrl 40:dn:alt 60:cut:device_removed 2000:dn:h 2080:up:h"
    );
}

#[test]
fn f27_time_going_backwards_cuts() {
    let (out, c) = clean_with(
        CleanParams::default(),
        "d:a t:50 step:-2000 u:a t:100 d:b t:50 u:b end",
    );
    assert_eq!(out, "0:dn:a -1950:cut:clock_step -1850:dn:b -1800:up:b");
    assert_eq!(c.stats().clock_steps, 1);
}

#[test]
fn f06_buttons_never_enter_keystroke_timing() {
    assert_eq!(
        clean("d:btn_left t:250 r:btn_left t:950 u:btn_left end"),
        ""
    );
    assert_eq!(
        clean("d:a t:10 d:btn_left t:50 u:a t:5 u:btn_left end"),
        "0:dn:a 60:up:a"
    );
}

#[test]
fn invalid_values_are_ignored_and_counted() {
    let (out, c) = clean_with(CleanParams::default(), "v:a:7 t:10 d:a t:50 u:a end");
    assert_eq!(out, "10:dn:a 60:up:a");
    assert_eq!(c.stats().invalid_values, 1);
}

#[test]
fn keys_still_down_at_end_of_recording_are_cut() {
    assert_eq!(
        clean("d:ctrl t:30 d:c end"),
        "0:dn:ctrl 30:dn:c 30:cut:end_of_stream"
    );
}

/// Random timelines (seeded, reproducible) never break the contract of `core::timing`: a
/// release always closes an open press of its slot with no cut between, times never run
/// backwards inside a chain, and nothing is left open after the recording ends.
#[test]
fn random_timelines_keep_the_timing_contract() {
    use std::collections::HashMap;
    let keys = ["a", "s", "d", "f", "j", "k", "shift", "space", "btn_left"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut keystrokes = 0;
    for _case in 0..400 {
        let mut tl = String::new();
        for _ in 0..60 {
            let k = keys[next(keys.len() as u64) as usize];
            let step = match next(20) {
                0..=6 => format!("d:{k}"),
                7..=13 => format!("u:{k}"),
                14 => format!("r:{k}"),
                15 => "drop".to_string(),
                16 => format!("resync:{k}"),
                17 => format!("u:{k} t:{} d:{k}", next(25)),
                18 => "rm".to_string(),
                _ => format!("step:-{}", next(100)),
            };
            tl.push_str(&format!("{step} t:{} ", next(400)));
        }
        tl.push_str("end");
        let rendered = clean(&tl);
        let mut open: HashMap<&str, i64> = HashMap::new();
        let mut last: Option<i64> = None;
        for tok in rendered.split_whitespace() {
            let mut parts = tok.splitn(3, ':');
            let t = (parts.next().unwrap().parse::<f64>().unwrap() * 1000.0).round() as i64;
            match (parts.next().unwrap(), parts.next().unwrap()) {
                ("cut", _) => {
                    open.clear();
                    last = None;
                }
                ("dn", key) => {
                    assert!(
                        last.is_none_or(|l| t >= l),
                        "time ran backwards in a chain: {tl}"
                    );
                    assert!(open.insert(key, t).is_none(), "double press of {key}: {tl}");
                    last = Some(t);
                }
                ("up", key) => {
                    let p = open
                        .remove(key)
                        .unwrap_or_else(|| panic!("release without press of {key}: {tl}"));
                    assert!(t >= p, "release before press: {tl}");
                    keystrokes += 1;
                }
                other => panic!("unexpected token {other:?}"),
            }
        }
        assert!(
            open.is_empty(),
            "presses left open after end: {tl}\n{rendered}"
        );
    }
    assert!(
        keystrokes > 300,
        "the generator must exercise real keystrokes, got {keystrokes}"
    );
}
