//! The decision core: one pure state machine that owns everything the daemon knows.
//!
//! Owns: the devices and their seats, each seat's active session and whose profile its
//! typing belongs to, one [`Engine`] per identity, the session gate, locks in flight,
//! probable-false-lock detection and the degraded-protection ledger.
//!
//! Invariants:
//! - pure: no I/O and no clock; [`Now`] is injected. The shell executes the [`Action`]s;
//! - typing and pointer actions are fed to an engine only while the gate of the device's
//!   seat allows it (a local, active, unlocked `Class=user` session; never greeter, lock
//!   screen, remote or asleep), and only to the engine of that seat's owner: two users'
//!   input never mixes (F39);
//! - a pause, and a system sleep, cut the device's chain before its next keystroke is fed,
//!   so no hold or latency spans them (F18); after resume every engine re-verifies (F17);
//! - at most one lock request per seat is in flight; monitor mode never requests one;
//! - a seat's session with no known locker (a text console, or its last lock unconfirmed)
//!   is audited as degraded protection while it is the seat's active session (F33);
//! - while an administrator's pause lasts nothing is scored or learned (`brain_admin.rs`).

use super::audits;
#[path = "brain_admin.rs"]
mod admin;
use super::event::{Action, Event, Resolved};
use super::profile_file::StoredProfile;
use crate::audit::fields::{DegradedReason, IgnoreReason, Mode as AuditMode, SeatId, Token};
use crate::audit::AuditEvent;
use crate::config::Mode;
use crate::core::timing::{CutReason, DeviceId, Edge, TimingEvent, TimingKind};
use crate::engine::pointer::{PointerParams, PointerSource};
use crate::engine::{Decision, Engine, EngineParams, LockReason, SourceKind};
use crate::input::classify::{Classification, DeviceClass};
use crate::input::InputEvent;
use crate::session::{
    Confirmation, Escalation, FalseLockDetector, Gate, LockTarget, SeatGate, SessionEvent,
    SessionInfo, SessionType,
};
use crate::store::Identity;
pub use admin::{SessionSnapshot, UserSnapshot};
use std::collections::{HashMap, HashSet};

/// The settings the decision core needs (from the configuration).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Lock, or only audit.
    pub mode: Mode,
    /// The engine's operating point.
    pub engine: EngineParams,
    /// The pointer modality's settings.
    pub pointer: PointerParams,
    /// Pause after a session switch, resume or logind return (F39).
    pub settle_ms: u64,
    /// An unlock this soon after our confirmed lock is a probable false lock.
    pub false_lock_window_ms: u64,
    /// How long a lock waits for `LockedHint` (for the audit record).
    pub lock_confirm_timeout_ms: u64,
    /// What runs when a lock is not confirmed (for the audit record).
    pub escalation: Escalation,
}

/// The two clocks: `ms` for session timing (settle windows, false locks), `us` on the
/// engine's clock (kernel `CLOCK_MONOTONIC` stamps live, the trace clock in a replay).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Monotonic milliseconds.
    pub ms: u64,
    /// The engine clock in microseconds.
    pub us: i64,
}

struct Device {
    name: String,
    seat: String,
    source: Option<SourceKind>,
    /// How its pointer actions are treated; `None`: not fed.
    pointer: Option<PointerSource>,
    /// Keystrokes were withheld (paused gate): cut the chain before the next one.
    needs_cut: bool,
    /// Its events arrive more than [`LAG_WARN_US`] after their kernel stamps (F29).
    lagging: bool,
}

/// Delivery lag (kernel stamp → decision loop) that is logged (F29). Decisions are not
/// suspended: features use kernel stamps only, so late events still give the right
/// decision; what lag costs is time-to-lock, which the impostor record states.
const LAG_WARN_US: i64 = 1_000_000;

struct Owner {
    info: SessionInfo,
    resolved: Resolved,
}

struct User {
    engine: Engine,
    dirty: bool,
    /// Enrollment progress last audited, in quarters.
    quarters: u8,
    /// Keystrokes scored since the last unlock or session start.
    scored: u64,
}

/// The decision core.
pub struct Brain {
    s: Settings,
    gate: SeatGate,
    devices: HashMap<DeviceId, Device>,
    owners: HashMap<String, Owner>,
    users: HashMap<Identity, User>,
    locking: HashSet<String>,
    false_locks: FalseLockDetector,
    degraded: HashSet<(DegradedReason, Option<u32>)>,
    /// Verification is paused until this monotonic ms (issue 6).
    paused_until: Option<u64>,
    /// The input layer finished its startup enumeration.
    input_ready: bool,
    /// Sessions whose last lock no locker confirmed (F33).
    unconfirmed: HashSet<String>,
}

impl Brain {
    /// A core with no devices, sessions or profiles yet.
    pub fn new(s: Settings) -> Self {
        Self {
            gate: SeatGate::new(s.settle_ms),
            false_locks: FalseLockDetector::new(s.false_lock_window_ms),
            s,
            devices: HashMap::new(),
            owners: HashMap::new(),
            users: HashMap::new(),
            locking: HashSet::new(),
            degraded: HashSet::new(),
            paused_until: None,
            input_ready: false,
            unconfirmed: HashSet::new(),
        }
    }

    /// Handles one event at `now`.
    pub fn handle(&mut self, event: Event, now: Now) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::Input(e) => self.input(e, now, &mut out),
            Event::Session(e, resolved) => self.session(e, resolved, now, &mut out),
            Event::LockDone { seat, outcome } => {
                self.locking.remove(&seat);
                if let Some(o) = self.owners.get(&seat) {
                    if outcome.confirmed() {
                        self.false_locks.locked(&o.info.id, now.ms);
                    }
                    let timeout = self.s.lock_confirm_timeout_ms;
                    let records =
                        audits::lock_outcome(&o.info, &outcome, timeout, &self.s.escalation);
                    out.extend(records.into_iter().map(Action::Audit));
                    // F33: only LockedHint proves a locker listens in this session.
                    let id = o.info.id.clone();
                    match outcome.confirmation {
                        Some(Confirmation::LockedHint) => self.unconfirmed.remove(&id),
                        None => self.unconfirmed.insert(id),
                        Some(_) => false,
                    };
                    self.check_lock_listener(&seat, &mut out);
                }
            }
            Event::SaveTick => self.save_dirty(&mut out),
        }
        out
    }

    /// A profile was loaded (or enrollment starts: `None`) for `identity`.
    pub fn install(
        &mut self,
        identity: Identity,
        profile: Option<StoredProfile>,
        now: Now,
    ) -> Vec<Action> {
        let p = profile.unwrap_or_else(|| StoredProfile::from(crate::engine::Profile::new()));
        let mut engine = Engine::with_profiles(
            self.s.engine.clone(),
            p.keys,
            self.s.pointer.clone(),
            p.pointer,
        );
        // A session start is an unlock: grace period, trust from scratch.
        engine.on_unlock(now.us);
        let mut out = Vec::new();
        if !engine.deciding() {
            let owner = self
                .owners
                .values()
                .find(|o| o.resolved.identity == identity);
            let subject = owner.map(|o| audits::subject(&o.info));
            self.degrade(
                DegradedReason::InTraining,
                subject.as_ref().map(|s| s.uid),
                true,
                &mut out,
            );
        }
        self.users.insert(
            identity,
            User {
                engine,
                dirty: false,
                quarters: 0,
                scored: 0,
            },
        );
        out
    }

    /// Everything that must be saved before the process exits.
    pub fn shutdown(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.save_dirty(&mut out);
        out
    }

    /// Every seat's active session as logind last reported it (whether or not its owner
    /// could be resolved), so the shell can resolve them again when the identity source
    /// changes.
    pub fn active_sessions(&self) -> Vec<SessionInfo> {
        self.gate.sessions().cloned().collect()
    }

    /// The live engines, for status reporting.
    pub fn engines(&self) -> impl Iterator<Item = (&Identity, &Engine)> {
        self.users.iter().map(|(i, u)| (i, &u.engine))
    }

    fn input(&mut self, e: InputEvent, now: Now, out: &mut Vec<Action>) {
        match e {
            InputEvent::Ready { .. } => {
                self.input_ready = true;
                self.check_keyboards(out);
            }
            InputEvent::DeviceAdded(d) => {
                let source = source_kind(&d.classification);
                let pointer = pointer_source(&d.classification, &self.s.pointer);
                let device = audits::device(&d.name);
                out.push(Action::Audit(
                    match source.or(pointer.map(|_| SourceKind::Keyboard)) {
                        Some(_) => AuditEvent::DeviceAdded {
                            device,
                            device_class: class_token(d.classification.class),
                            seat: seat_id(&d.seat),
                        },
                        None => AuditEvent::DeviceIgnored {
                            device,
                            reason: if d.classification.has_keyboard() {
                                IgnoreReason::Excluded
                            } else {
                                IgnoreReason::NotKeyboard
                            },
                        },
                    },
                ));
                let dev = Device {
                    name: d.name.clone(),
                    seat: d.seat.clone(),
                    source,
                    pointer,
                    needs_cut: false,
                    lagging: false,
                };
                self.devices.insert(d.id, dev);
                self.check_keyboards(out);
            }
            InputEvent::DeviceRemoved { id, .. } => {
                if let Some(d) = self.devices.remove(&id) {
                    let (device, seat) = (audits::device(&d.name), seat_id(&d.seat));
                    out.push(Action::Audit(AuditEvent::DeviceRemoved { device, seat }));
                }
                self.check_keyboards(out);
            }
            InputEvent::Unreadable { devnode, .. } => {
                out.push(Action::Audit(AuditEvent::DeviceIgnored {
                    device: audits::device(&devnode.display().to_string()),
                    reason: IgnoreReason::Unreadable,
                }));
            }
            InputEvent::Timing(ev) => self.timing(ev, now, out),
            InputEvent::Pointer(ev) => self.pointer(ev, now, out),
        }
    }

    fn timing(&mut self, ev: TimingEvent, now: Now, out: &mut Vec<Action>) {
        let Some(dev) = self.devices.get_mut(&ev.device) else {
            return;
        };
        let lag_us = now.us - ev.t_us;
        if lag_us > LAG_WARN_US && !dev.lagging {
            dev.lagging = true;
            tracing::warn!(
                "input of {:?} reaches the decision loop {} ms after its kernel stamps (F29): decisions stay right, a lock comes that much later",
                dev.name,
                lag_us / 1000
            );
        } else if lag_us < LAG_WARN_US / 4 {
            dev.lagging = false;
        }
        let Some(src) = dev.source else {
            return;
        };
        let owner = self.owners.get(&dev.seat).filter(|o| !o.resolved.exempt);
        let user = owner.and_then(|o| self.users.get_mut(&o.resolved.identity));
        let (Gate::Allowed, Some(owner), Some(user), None) = (
            self.gate.gate(&dev.seat, now.ms),
            owner,
            user,
            self.paused_until,
        ) else {
            dev.needs_cut = true;
            return;
        };
        let mut decisions = Vec::new();
        if std::mem::take(&mut dev.needs_cut) {
            let cut = TimingEvent {
                kind: TimingKind::Cut(CutReason::Resync),
                ..ev
            };
            user.engine.on_timing(&cut, src, &mut decisions);
        }
        user.engine.on_timing(&ev, src, &mut decisions);
        if matches!(
            ev.kind,
            TimingKind::Key {
                edge: Edge::Release,
                ..
            }
        ) {
            user.dirty = true;
            user.scored += 1;
        }
        let (info, seat, device) = (owner.info.clone(), dev.seat.clone(), dev.name.clone());
        let identity = owner.resolved.identity.clone();
        self.progress(&identity, &info, out);
        for d in decisions {
            let class = source_token(src);
            self.decide(d, &identity, &info, &seat, &device, class, lag_us, out);
        }
    }

    /// Enrollment progress, audited each quarter of the way.
    fn progress(&mut self, identity: &Identity, info: &SessionInfo, out: &mut Vec<Action>) {
        let Some(user) = self.users.get_mut(identity) else {
            return;
        };
        let m = user.engine.profile().maturity();
        let need = u64::from(self.s.engine.min_enroll_keystrokes.max(1));
        let quarters = u8::try_from((m.keystrokes * 4 / need).min(3)).unwrap_or(3);
        if !m.mature && quarters > user.quarters {
            user.quarters = quarters;
            out.push(Action::Audit(AuditEvent::EnrollmentProgress {
                subject: audits::subject(info),
                profile: identity.clone(),
                keystrokes: m.keystrokes,
                percent: quarters * 25,
            }));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        d: Decision,
        identity: &Identity,
        info: &SessionInfo,
        seat: &str,
        device: &str,
        class: &'static str,
        lag_us: i64,
        out: &mut Vec<Action>,
    ) {
        let subject = audits::subject(info);
        match d {
            Decision::Matured { .. } => {
                let keystrokes = self
                    .users
                    .get(identity)
                    .map_or(0, |u| u.engine.profile().maturity().keystrokes);
                out.push(Action::Audit(AuditEvent::EnrollmentComplete {
                    subject: subject.clone(),
                    profile: identity.clone(),
                    keystrokes,
                }));
                // Saved now, not at the next timer tick: a power cut in the minutes after
                // enrollment must not lose it (tests/system step 3.3 cuts power seconds
                // after `enrollment_complete`).
                self.save(identity, out);
                self.degrade(DegradedReason::InTraining, Some(subject.uid), false, out);
            }
            Decision::PointerMatured { .. } => {
                // The audit trail has no pointer enrollment record yet; the policy now
                // decides, which ends the in-training degradation if typing had not.
                tracing::info!(uid = subject.uid, "pointer profile mature");
                self.degrade(DegradedReason::InTraining, Some(subject.uid), false, out);
            }
            Decision::Trust { .. } => {}
            Decision::Injection { .. } => out.push(Action::Audit(AuditEvent::InjectedTyping {
                device: audits::device(device),
                subject: Some(subject),
                session: audits::session_ref(info),
            })),
            Decision::Lock { reason, .. } => {
                // F29: the deciding event's delivery lag (its kernel stamp to this loop).
                let lag_ms = u64::try_from(lag_us / 1000).unwrap_or(0);
                self.impostor(reason, identity, info, seat, class, lag_ms, out)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn impostor(
        &mut self,
        reason: LockReason,
        identity: &Identity,
        info: &SessionInfo,
        seat: &str,
        class: &'static str,
        input_lag_ms: u64,
        out: &mut Vec<Action>,
    ) {
        let (Some(user), Some(session)) = (self.users.get(identity), audits::session_ref(info))
        else {
            return;
        };
        let policy = user.engine.policy();
        let class = match reason {
            LockReason::Impostor => class,
            LockReason::Injection => "injected",
        };
        out.push(Action::Audit(AuditEvent::ImpostorDetected {
            subject: audits::subject(info),
            session: session.clone(),
            score: policy.level(),
            trust: policy.trust(),
            threshold: policy.lock_level(),
            keystrokes: user.scored,
            device_class: Token::or_invalid(class),
            input_lag_ms,
            mode: match self.s.mode {
                Mode::Enforce => AuditMode::Enforce,
                Mode::Monitor => AuditMode::Monitor,
            },
        }));
        if self.s.mode == Mode::Enforce && self.locking.insert(seat.to_string()) {
            out.push(Action::Audit(AuditEvent::LockRequested {
                subject: audits::subject(info),
                session,
            }));
            let target = LockTarget {
                session: info.id.clone(),
                seat: seat.to_string(),
                uid: info.uid,
            };
            out.push(Action::Lock {
                seat: seat.to_string(),
                target,
            });
        }
    }

    fn session(
        &mut self,
        e: SessionEvent,
        resolved: Option<Resolved>,
        now: Now,
        out: &mut Vec<Action>,
    ) {
        self.gate.apply(&e, now.ms);
        match e {
            SessionEvent::Active(info) => {
                let Some(resolved) = resolved else {
                    self.drop_owner(&info.seat, out);
                    return;
                };
                let same = self
                    .owners
                    .get(&info.seat)
                    .is_some_and(|o| o.resolved == resolved && o.info.id == info.id);
                if !same {
                    // F39: a switch swaps profiles; the old owner's is saved first.
                    self.drop_owner(&info.seat, out);
                    match self.users.get_mut(&resolved.identity) {
                        Some(u) => {
                            admin::renew(&self.s, u);
                            u.engine.on_unlock(now.us);
                            u.scored = 0;
                        }
                        None => out.push(Action::Load(resolved.identity.clone())),
                    }
                }
                let seat = info.seat.clone();
                self.owners.insert(seat.clone(), Owner { info, resolved });
                self.check_lock_listener(&seat, out);
            }
            SessionEvent::NoActiveSession { seat } => self.drop_owner(&seat, out),
            SessionEvent::Locked { .. } => {}
            SessionEvent::Unlocked { seat, session, .. } => {
                self.unlocked(&seat, &session, now, out)
            }
            SessionEvent::Sleep(true) => {
                // F18: keys held at suspend never report their release; no hold or latency
                // may span the sleep, so every chain is cut before its next keystroke.
                for d in self.devices.values_mut() {
                    d.needs_cut = true;
                }
                self.save_dirty(out)
            }
            SessionEvent::Sleep(false) => {
                // F17: whoever types after resume must re-verify; the gap never locks by
                // itself (the gate settles first, and re-verification only needs evidence).
                for u in self.users.values_mut() {
                    u.engine.on_idle();
                }
            }
            SessionEvent::LogindLost { .. } => {
                self.degrade(DegradedReason::LogindUnreachable, None, true, out)
            }
            SessionEvent::LogindBack => {
                self.degrade(DegradedReason::LogindUnreachable, None, false, out)
            }
        }
    }

    fn unlocked(&mut self, seat: &str, session: &str, now: Now, out: &mut Vec<Action>) {
        let Some(o) = self.owners.get(seat).filter(|o| o.info.id == session) else {
            return;
        };
        if let Some(u) = self.users.get_mut(&o.resolved.identity) {
            // An unlock resets trust and starts the grace period.
            admin::renew(&self.s, u);
            u.engine.on_unlock(now.us);
            u.scored = 0;
            if let Some(elapsed_ms) = self.false_locks.unlocked(session, now.ms) {
                u.engine.back_off();
                if let Some(s) = audits::session_ref(&o.info) {
                    let subject = audits::subject(&o.info);
                    out.push(Action::Audit(AuditEvent::ProbableFalseLock {
                        subject,
                        session: s,
                        elapsed_ms,
                    }));
                }
            }
        }
    }

    fn drop_owner(&mut self, seat: &str, out: &mut Vec<Action>) {
        if let Some(o) = self.owners.remove(seat) {
            self.false_locks.forget(&o.info.id);
            self.save(&o.resolved.identity, out);
            if !self
                .owners
                .values()
                .any(|other| other.info.uid == o.info.uid)
            {
                self.degrade(DegradedReason::NoLockListener, Some(o.info.uid), false, out);
            }
        }
    }

    /// F33: logind cannot say whether anything listens for `Lock`, and the sandbox hides
    /// other users' processes, so a session counts as having no known locker when it is a
    /// text console (`Type=tty`: nothing there answers `Lock`) or when its last lock went
    /// unconfirmed. Audited once as degraded protection, until that changes.
    fn check_lock_listener(&mut self, seat: &str, out: &mut Vec<Action>) {
        let Some(o) = self.owners.get(seat).filter(|o| !o.resolved.exempt) else {
            return;
        };
        let none = o.info.kind == SessionType::Tty || self.unconfirmed.contains(&o.info.id);
        let uid = o.info.uid;
        self.degrade(DegradedReason::NoLockListener, Some(uid), none, out);
    }

    fn save(&mut self, identity: &Identity, out: &mut Vec<Action>) {
        if let Some(u) = self.users.get_mut(identity).filter(|u| u.dirty) {
            u.dirty = false;
            out.push(Action::Save(
                identity.clone(),
                Box::new(StoredProfile {
                    keys: u.engine.profile().clone(),
                    pointer: u.engine.pointer_profile().clone(),
                }),
            ));
        }
    }

    /// A save of `identity` failed: it stays unsaved, so the next save point tries again.
    pub fn save_failed(&mut self, identity: &Identity) {
        if let Some(u) = self.users.get_mut(identity) {
            u.dirty = true;
        }
    }

    fn save_dirty(&mut self, out: &mut Vec<Action>) {
        let ids: Vec<Identity> = self.users.keys().cloned().collect();
        for id in ids {
            self.save(&id, out);
        }
    }

    /// Degraded while no keyboard is read whose typing is verified (tokens and unlisted
    /// virtual devices do not count), from the input layer's startup enumeration on (before
    /// it, an empty device list only means "not enumerated yet").
    fn check_keyboards(&mut self, out: &mut Vec<Action>) {
        if self.input_ready {
            let none = !self
                .devices
                .values()
                .any(|d| d.source == Some(SourceKind::Keyboard));
            self.degrade(DegradedReason::NoReadableKeyboard, None, none, out);
        }
    }

    /// Enters (`on`) or leaves a degraded-protection state, auditing each transition once.
    fn degrade(
        &mut self,
        reason: DegradedReason,
        uid: Option<u32>,
        on: bool,
        out: &mut Vec<Action>,
    ) {
        let key = (reason, uid);
        let subject = uid
            .and_then(|u| self.owners.values().find(|o| o.info.uid == u))
            .map(|o| audits::subject(&o.info));
        if on && self.degraded.insert(key) {
            out.push(Action::Audit(AuditEvent::DegradedProtection {
                reason,
                subject,
            }));
        } else if !on && self.degraded.remove(&key) {
            out.push(Action::Audit(AuditEvent::ProtectionRestored {
                reason,
                subject,
            }));
        }
    }
}

/// How the engine treats a device's keystrokes; `None`: not fed at all.
fn source_kind(c: &Classification) -> Option<SourceKind> {
    match (c.class, c.scored) {
        (DeviceClass::Token, _) => Some(SourceKind::Token),
        // An allow-listed remapper carries the person's own typing (docs/devices.md).
        (DeviceClass::Keyboard | DeviceClass::Composite | DeviceClass::Virtual, true) => {
            Some(SourceKind::Keyboard)
        }
        // Issue 3, F26: an unknown virtual keyboard is checked for injection only, never scored
        // or learned as a person's typing.
        (DeviceClass::Virtual, false) => Some(SourceKind::Virtual),
        _ => None,
    }
}

/// How the engine treats a device's pointer actions; `None`: not fed. Pointers and the
/// pointer part of a composite are scored and learned unless excluded by config; a virtual
/// pointer is scored, never learned (F26, as for virtual keyboards).
fn pointer_source(c: &Classification, p: &PointerParams) -> Option<PointerSource> {
    if !p.enabled || !c.has_pointer() {
        return None;
    }
    match (c.class, c.scored) {
        (DeviceClass::Pointer | DeviceClass::Composite, true) => Some(PointerSource::Physical),
        (DeviceClass::Virtual, true) => Some(PointerSource::Physical),
        (DeviceClass::Virtual, false) => Some(PointerSource::Virtual),
        _ => None,
    }
}

fn source_token(src: SourceKind) -> &'static str {
    match src {
        SourceKind::Virtual => "virtual",
        _ => "keyboard",
    }
}

fn class_token(c: DeviceClass) -> Token {
    Token::or_invalid(c.as_str())
}

fn seat_id(seat: &str) -> SeatId {
    SeatId::or_invalid(seat)
}

#[path = "brain_pointer.rs"]
mod pointer;
