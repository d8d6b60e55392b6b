//! A timeline DSL for pointer tests (aggregation and segmentation), in the spirit of
//! `timeline.rs`. Time advances only with `t:` or a repeated step.
//!
//! Steps:
//! - `t:50` advance 50 ms;
//! - `m:3,-4` one report (`REL_X`, `REL_Y`, `SYN_REPORT`) at the current time;
//! - `mv:5,0*20/8` twenty reports of (5, 0), 8 ms apart (time advances before each);
//! - `d:left`, `u:left` (also `right`, `middle`, `side`) a button edge; `rep:left` a button
//!   autorepeat (value 2);
//! - `w:1`, `w:-2` wheel detents (up positive); `hw:1` horizontal; `hires:120` a hi-res
//!   wheel event (ignored);
//! - touchpads: `touch:1` one finger lands (`BTN_TOUCH`, `BTN_TOOL_FINGER`), `touch:2` a
//!   second finger (`BTN_TOOL_DOUBLETAP`), `touch:0` all fingers lift; `abs:300,200` a report
//!   of the single-touch position; `absmv:4,0*10/8` ten position reports moving by (4, 0);
//! - `key:30` a keyboard key press+release frame on the same node (must be ignored);
//! - `drop` the kernel's `SYN_DROPPED`; `syn` a bare `SYN_REPORT`; `step:-100` the clock
//!   jumps; `rm` device removed; `end` the recording ended.
//!
//! Before every event, the quiet-device timer fires at each deadline already passed, as the
//! reader's timer would. Output: one token per pointer event:
//! `move@16-160[n=10 d=50,0]`, `point_click@16-700[n=10 d=50,0 left pause=300 hold=80]`,
//! `click@...[left hold=90]`, `drag_drop@...[n=.. d=.. left hold=..]`,
//! `scroll@...[ticks=3 v=3 h=0]`, `cut@MS`, `rm@MS`; an action with a predecessor adds
//! `gap=MS`.

use typewarden::core::event::{RawEvent, EV_ABS, EV_KEY, EV_REL, EV_SYN, SYN_DROPPED, SYN_REPORT};
use typewarden::core::pointer::{ActionKind, PointerEvent, PointerTap, SegmentParams, Surface};
use typewarden::core::timing::DeviceId;

fn ms(us: i64) -> String {
    if us % 1000 == 0 {
        format!("{}", us / 1000)
    } else {
        format!("{:.3}", us as f64 / 1000.0)
    }
}

fn button_code(name: &str) -> u16 {
    match name {
        "left" => 0x110,
        "right" => 0x111,
        "middle" => 0x112,
        "side" => 0x113,
        _ => panic!("unknown button {name}"),
    }
}

/// Renders pointer events as DSL output tokens.
pub fn render(events: &[PointerEvent]) -> String {
    events
        .iter()
        .map(|e| match e {
            PointerEvent::Cut { t_us, removed, .. } => {
                format!("{}@{}", if *removed { "rm" } else { "cut" }, ms(*t_us))
            }
            PointerEvent::Action { action: a, .. } => {
                let mut parts = Vec::new();
                if !a.path.is_empty() {
                    let (dx, dy) = a.path.iter().fold((0, 0), |(x, y), s| (x + s.dx, y + s.dy));
                    parts.push(format!("n={} d={dx},{dy}", a.path.len()));
                }
                if let Some(b) = a.button {
                    parts.push(format!("{b:?}").to_lowercase());
                }
                if a.kind == ActionKind::PointClick {
                    let last = a.path.last().map_or(0, |s| s.t_us);
                    parts.push(format!("pause={}", ms(a.press_us.unwrap() - last)));
                }
                if let (Some(p), Some(r)) = (a.press_us, a.release_us) {
                    parts.push(format!("hold={}", ms(r - p)));
                }
                if a.kind == ActionKind::Scroll {
                    let v: i32 = a.ticks.iter().map(|t| t.dy).sum();
                    let h: i32 = a.ticks.iter().map(|t| t.dx).sum();
                    parts.push(format!("ticks={} v={v} h={h}", a.ticks.len()));
                }
                if a.surface == Surface::Touchpad {
                    parts.push("touch".into());
                }
                if let Some(g) = a.since_prev_us {
                    parts.push(format!("gap={}", ms(g)));
                }
                format!(
                    "{}@{}-{}[{}]",
                    a.kind.as_str(),
                    ms(a.start_us),
                    ms(a.end_us),
                    parts.join(" ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn pair(arg: &str) -> (i32, i32) {
    let (a, b) = arg.split_once(',').expect("X,Y");
    (a.parse().expect("X"), b.parse().expect("Y"))
}

/// `DX,DY*N/MS` → (dx, dy, n, µs); MS may be fractional (`/0.125` is 8 kHz).
fn repeated(arg: &str) -> (i32, i32, usize, i64) {
    let (d, rest) = arg.split_once('*').expect("DX,DY*N/MS");
    let (n, every) = rest.split_once('/').expect("N/MS");
    let (dx, dy) = pair(d);
    let us = (every.parse::<f64>().expect("MS") * 1000.0).round() as i64;
    (dx, dy, n.parse().expect("N"), us)
}

/// The raw events a timeline describes, with the steps that are not events (`rm`, `end`)
/// as `None` markers carrying their time.
pub fn events(timeline: &str) -> Vec<(i64, Option<Vec<RawEvent>>, &'static str)> {
    let mut out = Vec::new();
    let mut t: i64 = 0;
    let (mut ax, mut ay) = (0i32, 0i32);
    let syn = |t| RawEvent::new(t, EV_SYN, SYN_REPORT, 0);
    for tok in timeline.split_whitespace() {
        let (op, arg) = tok.split_once(':').unwrap_or((tok, ""));
        let mut frame = |evs: Vec<RawEvent>, t: i64| {
            let mut evs = evs;
            evs.push(syn(t));
            out.push((t, Some(evs), ""));
        };
        match op {
            "t" | "step" => t += arg.parse::<i64>().expect("ms") * 1000,
            "m" => {
                let (dx, dy) = pair(arg);
                frame(
                    vec![
                        RawEvent::new(t, EV_REL, 0, dx),
                        RawEvent::new(t, EV_REL, 1, dy),
                    ],
                    t,
                );
            }
            "mv" => {
                let (dx, dy, n, every) = repeated(arg);
                for _ in 0..n {
                    t += every;
                    frame(
                        vec![
                            RawEvent::new(t, EV_REL, 0, dx),
                            RawEvent::new(t, EV_REL, 1, dy),
                        ],
                        t,
                    );
                }
            }
            "d" | "u" | "rep" => {
                let v = match op {
                    "d" => 1,
                    "u" => 0,
                    _ => 2,
                };
                frame(vec![RawEvent::new(t, EV_KEY, button_code(arg), v)], t);
            }
            "w" => frame(vec![RawEvent::new(t, EV_REL, 8, arg.parse().unwrap())], t),
            "hw" => frame(vec![RawEvent::new(t, EV_REL, 6, arg.parse().unwrap())], t),
            "hires" => frame(
                vec![RawEvent::new(t, EV_REL, 0x0b, arg.parse().unwrap())],
                t,
            ),
            "touch" => {
                let evs = match arg {
                    "1" => vec![
                        RawEvent::new(t, EV_KEY, 0x14a, 1),
                        RawEvent::new(t, EV_KEY, 0x145, 1),
                    ],
                    "2" => vec![
                        RawEvent::new(t, EV_KEY, 0x145, 0),
                        RawEvent::new(t, EV_KEY, 0x14d, 1),
                    ],
                    "0" => vec![
                        RawEvent::new(t, EV_KEY, 0x14a, 0),
                        RawEvent::new(t, EV_KEY, 0x145, 0),
                        RawEvent::new(t, EV_KEY, 0x14d, 0),
                    ],
                    _ => panic!("touch:0|1|2"),
                };
                frame(evs, t);
            }
            "abs" => {
                (ax, ay) = pair(arg);
                frame(
                    vec![
                        RawEvent::new(t, EV_ABS, 0, ax),
                        RawEvent::new(t, EV_ABS, 1, ay),
                    ],
                    t,
                );
            }
            "absmv" => {
                let (dx, dy, n, every) = repeated(arg);
                for _ in 0..n {
                    t += every;
                    (ax, ay) = (ax + dx, ay + dy);
                    frame(
                        vec![
                            RawEvent::new(t, EV_ABS, 0, ax),
                            RawEvent::new(t, EV_ABS, 1, ay),
                        ],
                        t,
                    );
                }
            }
            "key" => {
                let code = arg.parse().expect("code");
                frame(vec![RawEvent::new(t, EV_KEY, code, 1)], t);
                frame(vec![RawEvent::new(t, EV_KEY, code, 0)], t);
            }
            "drop" => out.push((t, Some(vec![RawEvent::new(t, EV_SYN, SYN_DROPPED, 0)]), "")),
            "syn" => out.push((t, Some(vec![syn(t)]), "")),
            "rm" => out.push((t, None, "rm")),
            "end" => out.push((t, None, "end")),
            _ => panic!("unknown pointer timeline step {tok}"),
        }
    }
    out
}

/// Runs a timeline through a fresh tap; returns the rendered output and the tap.
pub fn segment_with(params: SegmentParams, timeline: &str) -> (String, PointerTap) {
    let mut tap = PointerTap::new(DeviceId(1), params);
    let mut out = Vec::new();
    for (t, evs, marker) in events(timeline) {
        while let Some(d) = tap.deadline().filter(|&d| d <= t) {
            tap.flush(d, &mut out);
        }
        match (evs, marker) {
            (Some(evs), _) => evs.iter().for_each(|e| tap.push(e, &mut out)),
            (None, "rm") => tap.remove(t, &mut out),
            (None, _) => tap.finish(t, &mut out),
        }
    }
    (render(&out), tap)
}

/// [`segment_with`] at the default thresholds.
pub fn segment(timeline: &str) -> String {
    segment_with(SegmentParams::default(), timeline).0
}
