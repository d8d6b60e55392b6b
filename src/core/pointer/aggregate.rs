//! Kernel pointer events → coarse [`Sample`]s, one pure state machine per device.
//!
//! Owns: the open evdev frame (everything up to `SYN_REPORT`), the motion accumulator of the
//! current [`FRAME_US`] frame, the `SYN_DROPPED` discard window, and a touchpad's finger
//! state.
//!
//! Rules:
//! - `REL_X`/`REL_Y` of every report in one 64 Hz frame are summed into one
//!   [`Sample::Motion`], stamped with the frame's last report; a button edge or a wheel
//!   report first emits the motion before it, so order is kept;
//! - `REL_WHEEL`/`REL_HWHEEL` detents become [`Sample::Wheel`]; the hi-res wheel codes are
//!   ignored (the kernel sends detent events as well, `drivers/hid/hid-input.c`);
//! - touchpads: while exactly one finger touches (`BTN_TOOL_FINGER`, `BTN_TOUCH`), the
//!   change of the single-touch `ABS_X`/`ABS_Y` between reports is motion; a finger change
//!   (landing, lifting, a second finger for scrolling or gestures) restarts from the next
//!   position, so no jump between contacts is ever motion. Tapping is done by libinput in
//!   user space and is not visible here; a clickpad's click is `BTN_LEFT`;
//! - `SYN_DROPPED`: the open frame and accumulator are discarded, a [`Sample::Cut`] is
//!   emitted and events are ignored up to the next `SYN_REPORT` (as `core::clean` does, F01);
//!   time going backwards between reports is a cut too (F27);
//! - only pointer buttons are read: every other `EV_KEY` code is ignored without being
//!   stored (the privacy rule of `core::keyslot`).

use super::{Button, Sample, Surface, FRAME_US};
use crate::core::event::{RawEvent, EV_ABS, EV_KEY, EV_REL, EV_SYN, KEY_PRESS, KEY_RELEASE};

const REL_X: u16 = 0x00;
const REL_Y: u16 = 0x01;
const REL_HWHEEL: u16 = 0x06;
const REL_WHEEL: u16 = 0x08;
const ABS_X: u16 = 0x00;
const ABS_Y: u16 = 0x01;
/// `BTN_MOUSE`/`BTN_LEFT` .. `BTN_TASK`.
const BTN_LEFT: u16 = 0x110;
const BTN_RIGHT: u16 = 0x111;
const BTN_MIDDLE: u16 = 0x112;
const BTN_TASK: u16 = 0x117;
const BTN_TOOL_FINGER: u16 = 0x145;
const BTN_TOOL_QUINTTAP: u16 = 0x148;
const BTN_TOUCH: u16 = 0x14a;
const BTN_TOOL_DOUBLETAP: u16 = 0x14d;
const BTN_TOOL_TRIPLETAP: u16 = 0x14e;
const BTN_TOOL_QUADTAP: u16 = 0x14f;

/// Button edges one frame can hold (a frame with more is a chord; the rest are dropped).
const FRAME_BUTTONS: usize = 4;

#[derive(Default)]
struct Frame {
    dx: i32,
    dy: i32,
    wheel_v: i32,
    wheel_h: i32,
    abs_x: Option<i32>,
    abs_y: Option<i32>,
    touch_changed: bool,
    buttons: [(Option<Button>, bool); FRAME_BUTTONS],
    n_buttons: usize,
}

#[derive(Default)]
struct Touch {
    /// `BTN_TOUCH` is down.
    touching: bool,
    /// Bitmap of `BTN_TOOL_*` fingers down (bit 0 = one finger, bit 1 = two, …).
    tools: u8,
    x: Option<i32>,
    y: Option<i32>,
    /// Last position of the current single-finger contact.
    anchor: Option<(i32, i32)>,
}

impl Touch {
    fn single_finger(&self) -> bool {
        self.touching && self.tools == 1
    }
}

struct Acc {
    dx: i32,
    dy: i32,
    t_us: i64,
    frame: i64,
    surface: Surface,
}

/// The per-device aggregation state machine.
#[derive(Default)]
pub struct Aggregator {
    frame: Frame,
    acc: Option<Acc>,
    touch: Touch,
    dropping: bool,
    last_t: Option<i64>,
    events: u64,
}

fn button(code: u16) -> Button {
    match code {
        BTN_LEFT => Button::Left,
        BTN_RIGHT => Button::Right,
        BTN_MIDDLE => Button::Middle,
        _ => Button::Other,
    }
}

impl Aggregator {
    /// A fresh aggregator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pointer events seen.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Feeds one kernel event; samples are appended to `out`.
    #[inline]
    pub fn push(&mut self, ev: &RawEvent, out: &mut Vec<Sample>) {
        if self.dropping {
            if ev.is_syn_report() {
                self.dropping = false;
            }
            return;
        }
        match ev.kind {
            EV_REL => self.rel(ev),
            EV_SYN if ev.is_syn_report() => self.end_frame(ev.time_us, out),
            EV_SYN if ev.is_syn_dropped() => {
                self.reset();
                self.dropping = true;
                out.push(Sample::Cut { t_us: ev.time_us });
            }
            EV_KEY => self.key(ev),
            EV_ABS => self.abs(ev),
            _ => {}
        }
    }

    #[inline]
    fn rel(&mut self, ev: &RawEvent) {
        let f = &mut self.frame;
        match ev.code {
            REL_X => f.dx = f.dx.saturating_add(ev.value),
            REL_Y => f.dy = f.dy.saturating_add(ev.value),
            REL_WHEEL => f.wheel_v = f.wheel_v.saturating_add(ev.value),
            REL_HWHEEL => f.wheel_h = f.wheel_h.saturating_add(ev.value),
            _ => return,
        }
        self.events += 1;
    }

    fn key(&mut self, ev: &RawEvent) {
        let down = match ev.value {
            KEY_PRESS => true,
            KEY_RELEASE => false,
            _ => return, // button autorepeat (F06) carries nothing
        };
        let t = &mut self.touch;
        match ev.code {
            BTN_LEFT..=BTN_TASK => {
                let f = &mut self.frame;
                if f.n_buttons < FRAME_BUTTONS {
                    f.buttons[f.n_buttons] = (Some(button(ev.code)), down);
                    f.n_buttons += 1;
                }
            }
            BTN_TOUCH => {
                t.touching = down;
                self.frame.touch_changed = true;
            }
            BTN_TOOL_FINGER | BTN_TOOL_DOUBLETAP | BTN_TOOL_TRIPLETAP | BTN_TOOL_QUADTAP
            | BTN_TOOL_QUINTTAP => {
                let bit = match ev.code {
                    BTN_TOOL_FINGER => 1,
                    BTN_TOOL_DOUBLETAP => 2,
                    BTN_TOOL_TRIPLETAP => 4,
                    BTN_TOOL_QUADTAP => 8,
                    _ => 16,
                };
                t.tools = if down { t.tools | bit } else { t.tools & !bit };
                self.frame.touch_changed = true;
            }
            _ => return, // not a pointer button: never looked at again
        }
        self.events += 1;
    }

    fn abs(&mut self, ev: &RawEvent) {
        match ev.code {
            ABS_X => self.frame.abs_x = Some(ev.value),
            ABS_Y => self.frame.abs_y = Some(ev.value),
            _ => return,
        }
        self.events += 1;
    }

    fn end_frame(&mut self, t: i64, out: &mut Vec<Sample>) {
        if self.last_t.is_some_and(|last| t < last) {
            // F27: a clock step; nothing measured across it is a duration.
            self.reset();
            out.push(Sample::Cut { t_us: t });
        }
        self.last_t = Some(t);
        let mut f = std::mem::take(&mut self.frame);
        self.touch_motion(&mut f);
        if f.dx != 0 || f.dy != 0 {
            let frame = t.div_euclid(FRAME_US);
            let surface = if self.touch.single_finger() {
                Surface::Touchpad
            } else {
                Surface::Mouse
            };
            if self
                .acc
                .as_ref()
                .is_some_and(|a| a.frame != frame || a.surface != surface)
            {
                self.emit_motion(out);
            }
            let a = self.acc.get_or_insert(Acc {
                dx: 0,
                dy: 0,
                t_us: t,
                frame,
                surface,
            });
            a.dx = a.dx.saturating_add(f.dx);
            a.dy = a.dy.saturating_add(f.dy);
            a.t_us = t;
        }
        if f.n_buttons > 0 || f.wheel_v != 0 || f.wheel_h != 0 {
            self.emit_motion(out);
        }
        for &(b, down) in &f.buttons[..f.n_buttons] {
            if let Some(button) = b {
                out.push(Sample::Button {
                    t_us: t,
                    button,
                    down,
                });
            }
        }
        if f.wheel_v != 0 || f.wheel_h != 0 {
            out.push(Sample::Wheel {
                t_us: t,
                v: f.wheel_v,
                h: f.wheel_h,
            });
        }
    }

    /// A touchpad report: the single finger's position change is motion.
    fn touch_motion(&mut self, f: &mut Frame) {
        let t = &mut self.touch;
        if f.touch_changed {
            t.anchor = None;
        }
        if f.abs_x.is_none() && f.abs_y.is_none() {
            return;
        }
        t.x = f.abs_x.or(t.x);
        t.y = f.abs_y.or(t.y);
        if !t.single_finger() {
            t.anchor = None;
            return;
        }
        let (Some(x), Some(y)) = (t.x, t.y) else {
            return;
        };
        if let Some((ax, ay)) = t.anchor {
            f.dx = f.dx.saturating_add(x.saturating_sub(ax));
            f.dy = f.dy.saturating_add(y.saturating_sub(ay));
        }
        t.anchor = Some((x, y));
    }

    fn emit_motion(&mut self, out: &mut Vec<Sample>) {
        if let Some(a) = self.acc.take() {
            out.push(Sample::Motion {
                t_us: a.t_us,
                dx: a.dx,
                dy: a.dy,
                surface: a.surface,
            });
        }
    }

    /// The stamp of the motion in the open frame, if one is open.
    pub fn pending_us(&self) -> Option<i64> {
        self.acc.as_ref().map(|a| a.t_us)
    }

    /// The device was quiet until `now_us`: emits the open frame's motion (a later report
    /// in the same frame, if any, becomes a sample of its own).
    pub fn flush(&mut self, now_us: i64, out: &mut Vec<Sample>) {
        if self.acc.as_ref().is_some_and(|a| now_us > a.t_us) {
            self.emit_motion(out);
        }
    }

    /// Forgets everything open (after an overrun, a clock step or a removal).
    pub fn reset(&mut self) {
        self.frame = Frame::default();
        self.acc = None;
        self.touch.anchor = None;
        self.dropping = false;
    }
}
