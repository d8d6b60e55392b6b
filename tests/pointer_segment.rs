//! Pointer aggregation and action segmentation (`core::pointer`) on hand-made timelines in
//! the DSL of `tests/common/pointer.rs`.

mod common;
#[path = "common/pointer.rs"]
mod pointer;

use pointer::{segment, segment_with};
use typewarden::core::pointer::SegmentParams;

#[test]
fn a_movement_is_summed_into_64_hz_frames() {
    // Reports every 8 ms (125 Hz): two per 15.625 ms frame, the first frame holds one.
    assert_eq!(segment("mv:5,0*20/8 end"), "move@8-160[n=11 d=100,0]");
}

#[test]
fn an_8_khz_mouse_becomes_64_samples_per_second() {
    let (out, tap) = segment_with(SegmentParams::default(), "mv:1,0*8000/0.125 end");
    assert_eq!(out, "move@15.500-1000[n=65 d=8000,0]");
    let s = tap.stats();
    assert_eq!((s.events, s.samples, s.actions), (16_000, 65, 1));
}

#[test]
fn movement_pause_and_click_is_a_point_and_click() {
    assert_eq!(
        segment("mv:5,0*20/8 t:300 d:left t:80 u:left end"),
        "point_click@8-540[n=11 d=100,0 left pause=300 hold=80]"
    );
}

#[test]
fn a_click_after_a_long_pause_is_a_click_of_its_own() {
    assert_eq!(
        segment("mv:5,0*20/8 t:700 d:left t:90 u:left end"),
        "move@8-160[n=11 d=100,0] click@860-950[left hold=90 gap=700]"
    );
}

#[test]
fn a_double_click_is_a_point_and_click_then_a_click() {
    assert_eq!(
        segment("mv:5,0*20/8 t:200 d:left t:70 u:left t:110 d:left t:60 u:left end"),
        "point_click@8-430[n=11 d=100,0 left pause=200 hold=70] click@540-600[left hold=60 gap=110]"
    );
}

#[test]
fn motion_with_the_button_held_is_a_drag_and_drop() {
    assert_eq!(
        segment("d:left mv:4,3*10/16 t:50 u:left end"),
        "drag_drop@0-210[n=10 d=40,30 left hold=210]"
    );
}

#[test]
fn the_movement_before_a_drag_is_a_movement_of_its_own() {
    assert_eq!(
        segment("mv:5,0*8/16 t:100 d:left mv:0,5*8/16 t:40 u:left end"),
        "move@16-128[n=8 d=40,0] drag_drop@228-396[n=8 d=0,40 left hold=168 gap=100]"
    );
}

#[test]
fn jitter_while_clicking_is_not_a_drag() {
    // Balabit's "Pressed, Drag 1 px, Released" pattern.
    assert_eq!(
        segment("d:left t:40 m:1,0 t:60 u:left end"),
        "click@0-100[left hold=100]"
    );
}

#[test]
fn wheel_detents_close_together_are_one_scroll() {
    assert_eq!(
        segment("w:1 t:60 w:1 t:60 w:1 t:900 w:-1 end"),
        "scroll@0-120[ticks=3 v=3 h=0] scroll@1020-1020[ticks=1 v=-1 h=0 gap=900]"
    );
}

#[test]
fn a_scroll_ends_the_movement_and_hi_res_events_do_not_count_twice() {
    assert_eq!(
        segment("mv:5,0*10/8 t:100 hires:-120 w:-1 hires:-120 hw:1 end"),
        "move@8-80[n=6 d=50,0] scroll@180-180[ticks=2 v=-1 h=1 gap=100]"
    );
}

#[test]
fn movements_too_short_to_score_are_dropped() {
    let (out, tap) = segment_with(SegmentParams::default(), "m:1,1 t:20 m:1,0 end");
    assert_eq!(out, "");
    assert_eq!(tap.stats().dropped_short, 1);
}

#[test]
fn f01_an_overrun_abandons_the_open_drag() {
    // The release after SYN_DROPPED has no press any more; the motion after it is too short.
    assert_eq!(
        segment("d:left mv:5,0*10/8 drop m:9,9 mv:5,0*2/8 u:left end"),
        "cut@80"
    );
}

#[test]
fn f27_time_going_backwards_cuts() {
    assert_eq!(segment("mv:5,0*10/8 step:-1000 mv:5,0*5/8 end"), "cut@-912");
}

#[test]
fn a_chord_is_not_scored_and_clicks_resume_after_it() {
    assert_eq!(
        segment("d:left t:50 d:right t:50 u:left t:50 u:right t:300 d:left t:80 u:left end"),
        "click@450-530[left hold=80]"
    );
}

#[test]
fn a_hold_longer_than_the_maximum_is_abandoned() {
    assert_eq!(segment("d:left t:11000 u:left end"), "");
}

#[test]
fn f06_button_autorepeat_changes_nothing() {
    assert_eq!(
        segment("d:left t:300 rep:left t:30 rep:left t:50 u:left end"),
        "click@0-380[left hold=380]"
    );
}

#[test]
fn keyboard_keys_on_a_composite_node_never_reach_pointer_data() {
    let (out, tap) = segment_with(
        SegmentParams::default(),
        "key:30 mv:5,0*6/16 key:31 t:10 key:57 end",
    );
    assert_eq!(out, "move@16-96[n=6 d=30,0]");
    assert_eq!(tap.stats().events, 12, "only the REL events count");
}

#[test]
fn removal_drops_the_open_action_and_says_so() {
    assert_eq!(segment("mv:5,0*10/8 rm"), "rm@80");
}

#[test]
fn touchpad_finger_motion_is_relative_and_never_jumps_between_contacts() {
    // One finger: position changes are motion (the landing position is not). Two fingers
    // (scrolling, gestures): nothing. A new contact far away: no jump.
    assert_eq!(
        segment(
            "touch:1 abs:300,200 absmv:4,0*10/8 touch:2 absmv:0,10*10/8 touch:0 \
             t:700 touch:1 abs:900,900 absmv:-4,0*10/8 touch:0 end"
        ),
        "move@8-80[n=6 d=40,0 touch] move@868-940[n=6 d=-40,0 touch gap=788]"
    );
}

#[test]
fn a_pause_shorter_than_the_threshold_keeps_one_movement() {
    let p = SegmentParams {
        pause_us: 200_000,
        ..SegmentParams::default()
    };
    assert_eq!(
        segment_with(p, "mv:5,0*8/16 t:150 mv:5,0*8/16 t:250 mv:0,5*8/16 end").0,
        "move@16-406[n=16 d=80,0] move@672-784[n=8 d=0,40 gap=266]"
    );
}
