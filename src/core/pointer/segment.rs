//! Coarse pointer samples → [`PointerAction`]s, one pure state machine per device.
//!
//! Owns: the open action (a movement, a press, a scroll), the end of the previous action,
//! and the segmentation counters.
//!
//! Rules (`SegmentParams` names the thresholds):
//! - motion starts a movement; a gap longer than `pause_us` between motion samples ends it
//!   (the next motion starts another);
//! - a press at most `pause_us` after the last motion turns the movement into a
//!   point-and-click, whose pause before the click is part of its features; a press after a
//!   longer pause (or with no movement of at least `min_steps` samples) is a stationary click;
//! - motion with the button held of at least `drag_min` units of path makes a drag-and-drop
//!   on release; the movement before the press is then a movement of its own;
//! - wheel reports at most `scroll_gap_us` apart are one scroll; motion or a press ends it;
//! - a second button pressed while one is held (a chord), a hold longer than `max_hold_us`
//!   and a cut abandon the open action: nothing half-seen is ever scored;
//! - movements with fewer than `min_steps` samples are dropped (jitter, a nudged desk);
//!   longer than `max_steps` samples, a movement is closed and the next one begins.

use super::{ActionKind, Button, PointerAction, PointerStats, Sample, Step, Surface};

/// Segmentation thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentParams {
    /// A motion gap longer than this ends a movement; a press within it is a point-and-click.
    pub pause_us: i64,
    /// Wheel reports further apart than this are separate scrolls.
    pub scroll_gap_us: i64,
    /// Path length with the button held (device units) that makes a drag.
    pub drag_min: i32,
    /// Motion samples a movement needs to be kept.
    pub min_steps: usize,
    /// A movement is closed after this many motion samples (8 s at 64 Hz).
    pub max_steps: usize,
    /// A press held longer than this is abandoned.
    pub max_hold_us: i64,
}

impl Default for SegmentParams {
    fn default() -> Self {
        Self {
            pause_us: 500_000,
            scroll_gap_us: 500_000,
            drag_min: 8,
            min_steps: 4,
            max_steps: 512,
            max_hold_us: 10_000_000,
        }
    }
}

struct Movement {
    path: Vec<Step>,
    surface: Surface,
}

impl Movement {
    fn last_us(&self) -> i64 {
        self.path.last().map_or(i64::MIN, |s| s.t_us)
    }
}

enum State {
    Idle,
    Moving(Movement),
    Pressed {
        button: Button,
        press_us: i64,
        /// The movement before the press, when the press came within the pause.
        pre: Option<Movement>,
        drag: Vec<Step>,
        drag_len: f64,
        surface: Surface,
    },
    Scrolling {
        ticks: Vec<Step>,
    },
}

/// The per-device segmentation state machine.
pub struct Segmenter {
    p: SegmentParams,
    state: State,
    prev_end: Option<i64>,
    /// A chord or abandoned press: ignore buttons until all are up.
    held: u8,
    stats: PointerStats,
}

fn bit(b: Button) -> u8 {
    match b {
        Button::Left => 1,
        Button::Right => 2,
        Button::Middle => 4,
        Button::Other => 8,
    }
}

impl Segmenter {
    /// A segmenter with thresholds `p`.
    pub fn new(p: SegmentParams) -> Self {
        Self {
            p,
            state: State::Idle,
            prev_end: None,
            held: 0,
            stats: PointerStats::default(),
        }
    }

    /// The thresholds in use.
    pub fn params(&self) -> &SegmentParams {
        &self.p
    }

    /// Counters (samples, actions, cuts, dropped movements).
    pub fn stats(&self) -> &PointerStats {
        &self.stats
    }

    /// Feeds one sample (cuts go to [`Segmenter::cut`]); finished actions go to `out`.
    pub fn push(&mut self, s: &Sample, out: &mut Vec<PointerAction>) {
        self.stats.samples += 1;
        match *s {
            Sample::Motion {
                t_us,
                dx,
                dy,
                surface,
            } => self.motion(Step { t_us, dx, dy }, surface, out),
            Sample::Button { t_us, button, down } => {
                if down {
                    self.press(t_us, button, out)
                } else {
                    self.release(t_us, button, out)
                }
            }
            Sample::Wheel { t_us, v, h } => self.wheel(Step { t_us, dx: h, dy: v }, out),
            Sample::Cut { t_us } => self.cut(t_us),
        }
    }

    fn motion(&mut self, step: Step, surface: Surface, out: &mut Vec<PointerAction>) {
        match &mut self.state {
            State::Moving(m)
                if step.t_us - m.last_us() <= self.p.pause_us
                    && m.surface == surface
                    && m.path.len() < self.p.max_steps =>
            {
                m.path.push(step);
                return;
            }
            State::Pressed { drag, drag_len, .. } => {
                if drag.len() < self.p.max_steps {
                    drag.push(step);
                }
                *drag_len += f64::from(step.dx).hypot(f64::from(step.dy));
                return;
            }
            _ => {}
        }
        self.close(out);
        self.state = State::Moving(Movement {
            path: vec![step],
            surface,
        });
    }

    fn press(&mut self, t: i64, button: Button, out: &mut Vec<PointerAction>) {
        if self.held != 0 || matches!(self.state, State::Pressed { .. }) {
            // A chord: nothing of it is scored; wait until every button is up.
            self.held |= bit(button);
            if let State::Pressed { button: b, .. } = self.state {
                self.held |= bit(b);
            }
            self.state = State::Idle;
            return;
        }
        let pre = match std::mem::replace(&mut self.state, State::Idle) {
            State::Moving(m) if t - m.last_us() <= self.p.pause_us => Some(m),
            other => {
                self.state = other;
                self.close(out);
                None
            }
        };
        let surface = pre.as_ref().map_or(Surface::Mouse, |m| m.surface);
        self.state = State::Pressed {
            button,
            press_us: t,
            pre,
            drag: Vec::new(),
            drag_len: 0.0,
            surface,
        };
    }

    fn release(&mut self, t: i64, button: Button, out: &mut Vec<PointerAction>) {
        if self.held != 0 {
            self.held &= !bit(button);
            return;
        }
        if !matches!(self.state, State::Pressed { .. }) {
            return; // a release without its press (F09-like): nothing to measure
        }
        let State::Pressed {
            button: b,
            press_us,
            pre,
            drag,
            drag_len,
            surface,
        } = std::mem::replace(&mut self.state, State::Idle)
        else {
            return;
        };
        if b != button || t - press_us > self.p.max_hold_us {
            return;
        }
        let click = |kind, path: Vec<Step>, start_us| PointerAction {
            kind,
            surface,
            button: Some(b),
            start_us,
            end_us: t,
            path,
            press_us: Some(press_us),
            release_us: Some(t),
            ticks: Vec::new(),
            since_prev_us: None,
        };
        if drag_len >= f64::from(self.p.drag_min) && !drag.is_empty() {
            if let Some(m) = pre {
                self.movement(m, out);
            }
            self.emit(click(ActionKind::DragDrop, drag, press_us), out);
            return;
        }
        let action = match pre {
            Some(m) if m.path.len() >= self.p.min_steps => {
                let start = m.path.first().map_or(press_us, |s| s.t_us);
                click(ActionKind::PointClick, m.path, start)
            }
            _ => click(ActionKind::Click, Vec::new(), press_us),
        };
        self.emit(action, out);
    }

    fn wheel(&mut self, step: Step, out: &mut Vec<PointerAction>) {
        match &mut self.state {
            State::Scrolling { ticks }
                if ticks
                    .last()
                    .is_some_and(|l| step.t_us - l.t_us <= self.p.scroll_gap_us)
                    && ticks.len() < self.p.max_steps =>
            {
                ticks.push(step);
                return;
            }
            State::Pressed { .. } => return, // scrolling with a button held: not modelled
            _ => {}
        }
        self.close(out);
        self.state = State::Scrolling { ticks: vec![step] };
    }

    /// Emits the open movement or scroll (a press stays open).
    fn close(&mut self, out: &mut Vec<PointerAction>) {
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Moving(m) => self.movement(m, out),
            State::Scrolling { ticks } => {
                let (Some(first), Some(last)) = (ticks.first(), ticks.last()) else {
                    return;
                };
                let (start_us, end_us) = (first.t_us, last.t_us);
                self.emit(
                    PointerAction {
                        kind: ActionKind::Scroll,
                        surface: Surface::Mouse,
                        button: None,
                        start_us,
                        end_us,
                        path: Vec::new(),
                        press_us: None,
                        release_us: None,
                        ticks,
                        since_prev_us: None,
                    },
                    out,
                );
            }
            pressed @ State::Pressed { .. } => self.state = pressed,
            State::Idle => {}
        }
    }

    fn movement(&mut self, m: Movement, out: &mut Vec<PointerAction>) {
        if m.path.len() < self.p.min_steps {
            self.stats.dropped_short += 1;
            return;
        }
        let (Some(first), Some(last)) = (m.path.first(), m.path.last()) else {
            return;
        };
        let (start_us, end_us) = (first.t_us, last.t_us);
        self.emit(
            PointerAction {
                kind: ActionKind::Move,
                surface: m.surface,
                button: None,
                start_us,
                end_us,
                path: m.path,
                press_us: None,
                release_us: None,
                ticks: Vec::new(),
                since_prev_us: None,
            },
            out,
        );
    }

    fn emit(&mut self, mut a: PointerAction, out: &mut Vec<PointerAction>) {
        a.since_prev_us = self.prev_end.map(|e| (a.start_us - e).max(0));
        self.prev_end = Some(a.end_us);
        self.stats.actions += 1;
        out.push(a);
    }

    /// When [`Segmenter::flush`] should run if no sample arrives: the moment a pause
    /// closes the open movement or scroll, or a hold is abandoned.
    pub fn deadline(&self) -> Option<i64> {
        match &self.state {
            State::Idle => None,
            State::Moving(m) => Some(m.last_us().saturating_add(self.p.pause_us + 1)),
            State::Pressed { press_us, .. } => {
                Some(press_us.saturating_add(self.p.max_hold_us + 1))
            }
            State::Scrolling { ticks } => ticks
                .last()
                .map(|l| l.t_us.saturating_add(self.p.scroll_gap_us + 1)),
        }
    }

    /// Closes what is due at `now_us` (no sample arrived since).
    pub fn flush(&mut self, now_us: i64, out: &mut Vec<PointerAction>) {
        if self.deadline().is_none_or(|d| now_us < d) {
            return;
        }
        if matches!(self.state, State::Pressed { .. }) {
            self.state = State::Idle; // held too long: abandoned
        } else {
            self.close(out);
        }
    }

    /// Continuity is lost: the open action is dropped; the next one has no predecessor.
    pub fn cut(&mut self, _t_us: i64) {
        self.state = State::Idle;
        self.prev_end = None;
        self.held = 0;
        self.stats.cuts += 1;
    }
}
