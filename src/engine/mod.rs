//! The biometric engine: cleaned timing events in, trust decisions out.
//!
//! Owns: per-device feature chains and injection detectors, the profile, the policy, the
//! recent-typing state, the adaptation delay line and the pointer modality's state
//! ([`pointer`](mod@pointer)); [`Engine`] is the facade the daemon and `evaluate` both drive.
//!
//! Invariants:
//! - pure: no I/O, no clock; time only from event stamps (F29), so a batch delivered late
//!   gives the same features and decisions;
//! - tokens, scanners and allow-listed tools are ignored entirely (F23, F26): not scored,
//!   not learned, not checked for injection, and they do not touch the timing chains;
//! - a virtual keyboard that is not allow-listed is checked for injection only (F26): its
//!   typing is never scored or learned as a person's (issue 3; remappers re-emit timing);
//! - a keystroke held under `inject_min_hold_ms` is checked for injection only (which
//!   judges such holds across cuts, `inject`): no finger makes it, a mouse's macro button
//!   or an injector does (F19);
//! - a device removal or a keystroke from another device than the last one never carries
//!   trust over: the policy re-verifies and the recent-typing state starts afresh (F14);
//! - only the keystrokes right after an unlock, with no idle gap or other keyboard since,
//!   are trusted beyond what the policy measured (learned until doubt, means only);
//! - nothing here formats a slot, so no log line can carry what was typed;
//! - keystroke and pointer evidence feed one policy: it decides as soon as either profile is
//!   mature, so a session used only with the mouse can still be locked (issue 8).

pub mod adapt;
pub mod features;
pub mod inject;
pub mod params;
pub mod pointer;
pub mod policy;
pub mod profile;
pub mod recent;
pub mod score;
pub mod wire;

pub use features::{Extractor, Keystroke, Link};
pub use inject::InjectionKind;
pub use params::EngineParams;
pub use policy::{Evidence, Modality, TrustState};
pub use profile::Profile;

use crate::core::pointer::PointerEvent;
use crate::core::timing::{CutReason, DeviceId, TimingEvent, TimingKind};
use adapt::Adapter;
use inject::{InjectDetector, MachineHolds};
use pointer::{PointerParams, PointerProfile, PointerSource, PointerState, PointerStep};
use policy::{Policy, Verdict};
use serde::Serialize;

/// What kind of device an event came from, as classified by the input layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A physical keyboard: scored, learned, checked for injection.
    Keyboard,
    /// A virtual keyboard that is not allow-listed (uinput): checked for injection (F26),
    /// never scored or learned.
    Virtual,
    /// A security token typing an OTP (F23): ignored.
    Token,
    /// A barcode or badge scanner: ignored.
    Scanner,
    /// An allow-listed dictation or automation tool (F26): ignored.
    AllowedTool,
}

impl SourceKind {
    fn ignored(self) -> bool {
        matches!(
            self,
            SourceKind::Token | SourceKind::Scanner | SourceKind::AllowedTool
        )
    }
}

/// Why the engine asks for a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// The typing does not match the owner.
    Impostor,
    /// Injected (non-human) typing.
    Injection,
}

/// One output of the engine. `t_us` is the stamp of the event that caused it, so the caller
/// can state end-to-end latency (F29).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// The profile finished enrollment and now decides.
    Matured {
        /// Stamp.
        t_us: i64,
    },
    /// The pointer profile finished enrollment and now decides.
    PointerMatured {
        /// Stamp.
        t_us: i64,
    },
    /// The trust state changed.
    Trust {
        /// Stamp.
        t_us: i64,
        /// New state.
        state: TrustState,
        /// Trust in percent.
        trust: f64,
    },
    /// Non-human typing was seen on a device.
    Injection {
        /// Stamp.
        t_us: i64,
        /// Device instance.
        device: DeviceId,
        /// Which rule fired.
        kind: InjectionKind,
    },
    /// Lock the session.
    Lock {
        /// Stamp.
        t_us: i64,
        /// Why.
        reason: LockReason,
    },
}

struct DeviceState {
    id: DeviceId,
    chain: Extractor,
    inject: InjectDetector,
}

/// The engine facade.
pub struct Engine {
    params: EngineParams,
    profile: Profile,
    policy: Policy,
    adapter: Adapter,
    recent: recent::Recent,
    devices: Vec<DeviceState>,
    last_key: Option<(i64, DeviceId)>,
    /// Scored keystrokes since the last unlock; `u32::MAX` once an idle gap or another
    /// keyboard broke the link to it.
    since_unlock: u32,
    scratch: Vec<Keystroke>,
    pointer: PointerState,
    /// Machine holds over every device's recent typing (F19, F25): not per device, not
    /// reset by cuts or removals, re-armed at an unlock.
    machine: MachineHolds,
}

impl Engine {
    /// An engine with an empty profile: it enrolls the owner's typing until mature.
    pub fn new(params: EngineParams) -> Self {
        Self::with_profile(params, Profile::new())
    }

    /// An engine with a stored keystroke profile and an empty pointer profile.
    pub fn with_profile(params: EngineParams, profile: Profile) -> Self {
        Self::with_profiles(
            params,
            profile,
            PointerParams::default(),
            PointerProfile::new(),
        )
    }

    /// An engine with stored keystroke and pointer profiles.
    pub fn with_profiles(
        params: EngineParams,
        profile: Profile,
        pointer_params: PointerParams,
        pointer: PointerProfile,
    ) -> Self {
        let mut policy = Policy::new(&params);
        // A disabled pointer is not read, so its profile cannot protect anyone.
        if !(profile.is_mature() || (pointer_params.enabled && pointer.is_mature())) {
            policy = policy.training();
        }
        Self {
            params,
            profile,
            policy,
            adapter: Adapter::default(),
            recent: recent::Recent::default(),
            devices: Vec::new(),
            last_key: None,
            since_unlock: u32::MAX,
            scratch: Vec::new(),
            pointer: PointerState::new(pointer_params, pointer),
            machine: MachineHolds::default(),
        }
    }

    /// The pointer profile (to persist it).
    pub fn pointer_profile(&self) -> &PointerProfile {
        self.pointer.profile()
    }

    /// The pointer parameters in use.
    pub fn pointer_params(&self) -> &PointerParams {
        self.pointer.params()
    }

    /// Whether the policy decides: at least one profile is mature.
    pub fn deciding(&self) -> bool {
        self.profile.is_mature()
            || (self.pointer.params().enabled && self.pointer.profile().is_mature())
    }

    /// The profile (to persist it).
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The policy (trust level, lock level).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The parameters in use.
    pub fn params(&self) -> &EngineParams {
        &self.params
    }

    /// Keystrokes learned by adaptation so far.
    pub fn adapted(&self) -> u64 {
        self.adapter.learned()
    }

    /// The owner unlocked, or the session started, at `t_us`.
    pub fn on_unlock(&mut self, t_us: i64) {
        if self.deciding() {
            self.policy.unlock(t_us);
        } else {
            self.policy = Policy::new(&self.params).training();
        }
        self.adapter.discard();
        self.recent.reset_all();
        self.last_key = None;
        self.since_unlock = 0;
        // Re-armed: an injector still typing after the unlock is reported and locked again.
        self.machine = MachineHolds::default();
        for d in &mut self.devices {
            d.inject.reset();
        }
    }

    /// The owner undid our lock at once: the policy needs more evidence next time.
    pub fn back_off(&mut self) {
        self.policy.back_off();
    }

    /// The session went idle (logind `IdleHint`): whoever types next must re-verify.
    pub fn on_idle(&mut self) {
        self.reverify(false);
    }

    /// Another person is likelier from now on: re-verify, learn nothing pending, and start
    /// the recent-typing sums afresh (with the hold offset too when the keyboard changed).
    fn reverify(&mut self, other_keyboard: bool) {
        self.policy.reverify();
        self.adapter.discard();
        self.since_unlock = u32::MAX;
        if other_keyboard {
            self.recent.reset_all();
        } else {
            self.recent.reset();
        }
    }

    /// Evidence from another modality, already calibrated.
    pub fn on_evidence(&mut self, e: &Evidence, out: &mut Vec<Decision>) {
        self.apply(e, out);
    }

    /// Feeds one pointer event (an action or a cut) from a source of kind `src`.
    pub fn on_pointer(&mut self, ev: &PointerEvent, src: PointerSource, out: &mut Vec<Decision>) {
        let (device, a) = match ev {
            PointerEvent::Cut {
                device, removed, ..
            } => {
                if *removed {
                    // F14, as for keyboards: whoever points next may be someone else.
                    self.pointer.removed(*device);
                    self.policy.reverify();
                    self.adapter.discard();
                }
                return;
            }
            PointerEvent::Action { device, action } => (*device, &**action),
        };
        if self.policy.state() == TrustState::Locked {
            return; // a locked screen's pointing is neither learned nor scored
        }
        let idle_us = (self.params.idle_reverify_s * 1e6) as i64;
        let last_input = match (self.last_key.map(|k| k.0), self.pointer.last_end_us()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if self.pointer.device_changed(device)
            || last_input.is_some_and(|t| a.start_us - t >= idle_us)
        {
            self.policy.reverify();
            self.adapter.discard();
        }
        // Learning needs trust: in training everything (nothing decides yet), otherwise
        // only while suspicion stays at the adaptation gate's level.
        let confident = match self.policy.state() {
            TrustState::Training | TrustState::Grace => true,
            TrustState::Trusted => self.policy.level() <= self.params.adapt_max_level,
            TrustState::Doubt | TrustState::Locked => false,
        };
        match self.pointer.step(a, src, confident) {
            PointerStep::Evidence(value) => self.apply(
                &Evidence {
                    t_us: a.end_us,
                    modality: Modality::Mouse,
                    value,
                },
                out,
            ),
            PointerStep::Learned { matured: true } => {
                out.push(Decision::PointerMatured { t_us: a.end_us });
                self.start_deciding(a.end_us);
            }
            PointerStep::Learned { matured: false } | PointerStep::Nothing => {}
        }
    }

    /// A profile matured: a policy still in training starts deciding (with a grace period);
    /// one that already decides keeps its state and suspicion.
    fn start_deciding(&mut self, t_us: i64) {
        if self.policy.state() == TrustState::Training {
            self.policy = Policy::new(&self.params);
            self.policy.unlock(t_us);
        }
    }

    /// Feeds one cleaned timing event from a source of kind `src`.
    pub fn on_timing(&mut self, ev: &TimingEvent, src: SourceKind, out: &mut Vec<Decision>) {
        if src.ignored() {
            return;
        }
        let i = match self.devices.iter().position(|d| d.id == ev.device) {
            Some(i) => i,
            None => {
                self.devices.push(DeviceState {
                    id: ev.device,
                    chain: Extractor::new((self.params.max_latency_ms * 1000.0) as i64),
                    inject: InjectDetector::default(),
                });
                self.devices.len() - 1
            }
        };
        if let TimingKind::Cut(reason) = ev.kind {
            let d = &mut self.devices[i];
            d.chain.cut();
            d.inject.reset();
            if reason == CutReason::DeviceRemoved {
                // F14: whoever types after a re-add may be someone else (KVM, other host).
                self.devices.swap_remove(i);
                self.machine.forget(ev.device);
                self.reverify(true);
            }
            return;
        }
        let mut ks = std::mem::take(&mut self.scratch);
        ks.clear();
        self.devices[i].chain.push(ev, &mut ks);
        for k in &ks {
            self.keystroke(k, i, src, out);
        }
        self.scratch = ks;
    }

    fn keystroke(&mut self, ks: &Keystroke, dev: usize, src: SourceKind, out: &mut Vec<Decision>) {
        let device = self.devices[dev].id;
        // F19: a hold under `inject_min_hold_ms` is no finger's (a mouse's macro thumb
        // button sends KEY_LEFTMETA 1/0 within 8 ms; under 0.1 % of the holds in the public
        // keystroke datasets are that short, Buffalo 0.01 %, Aalto 0.08 %, mostly recorder
        // artefacts). It is checked for injection below and nothing else, so it neither
        // re-verifies as "another keyboard" nor ends an idle gap, and is never scored.
        let machine = (ks.hold_us() as f64) < self.params.inject_min_hold_ms * 1000.0;
        let idle_us = (self.params.idle_reverify_s * 1e6) as i64;
        if let Some((t, d)) = self.last_key.filter(|_| !machine) {
            // Pointing in between is activity too: only a gap in both is idle.
            let last = self.pointer.last_end_us().map_or(t, |p| p.max(t));
            if ks.press_us - last >= idle_us || d != device {
                self.reverify(d != device);
            }
        }
        if !machine {
            self.last_key = Some((ks.release_us, device));
        }
        let burst_before = self.devices[dev].inject.in_burst();
        let chain = self.devices[dev].inject.push(ks, &self.params);
        let virtual_source = src == SourceKind::Virtual;
        let machine_typing = self.machine.push(ks, device, virtual_source, &self.params)
            && !burst_before
            && chain.is_none();
        let report = chain.or(machine_typing.then_some(InjectionKind::MachineSpeed));
        if let Some(kind) = report {
            out.push(Decision::Injection {
                t_us: ks.release_us,
                device,
                kind,
            });
            self.adapter.discard();
            if self.params.lock_on_injection && self.policy.state() != TrustState::Locked {
                self.policy.force_lock();
                out.push(Decision::Lock {
                    t_us: ks.release_us,
                    reason: LockReason::Injection,
                });
            }
        }
        if self.devices[dev].inject.in_burst() || self.policy.state() == TrustState::Locked {
            return; // injected or locked-screen typing is neither learned nor scored
        }
        // While machine typing goes on, human-held keys are still scored (someone may be
        // typing by hand beside it) but never learned.
        let learn = !self.machine.active();
        if src == SourceKind::Virtual {
            return; // not a person's typing unless allow-listed (then it comes as Keyboard)
        }
        if machine {
            return;
        }
        if !self.profile.is_mature() {
            // The pointer profile may already decide: typing under suspicion is not learned.
            if self.policy.state() != TrustState::Doubt && learn {
                self.enroll(ks, out);
            }
            return;
        }
        let Some(sc) = score::score(&self.profile, ks, &self.params, &mut self.recent) else {
            return;
        };
        let in_grace = self.policy.state() == TrustState::Grace;
        self.apply(
            &Evidence {
                t_us: ks.release_us,
                modality: Modality::Keyboard,
                value: sc.evidence,
            },
            out,
        );
        if !learn {
            return;
        }
        // Typing right after an unlock (with no idle gap or other keyboard since) is very
        // likely the owner's, who just authenticated: it is learned from the first
        // keystroke and until the policy doubts it, not only while it is confidently
        // genuine. This is how the profile follows a new keyboard. Someone else who was
        // let in is still locked out of the profile: their typing raises doubt within a few
        // dozen keystrokes, which discards the delay line before anything is learned.
        let authenticated = self.since_unlock < self.params.adapt_unlock_keystrokes;
        self.since_unlock = self.since_unlock.saturating_add(1);
        let live = matches!(self.policy.state(), TrustState::Trusted | TrustState::Doubt);
        let p = &self.params;
        let level = (!in_grace).then(|| self.policy.level());
        if authenticated && matches!(self.policy.state(), TrustState::Grace | TrustState::Trusted) {
            let gate = p.doubt_enter.max(p.adapt_max_level);
            self.adapter.offer(ks, level, gate, &mut self.profile, p);
        } else if level.is_some() && live {
            self.adapter
                .offer(ks, level, p.adapt_max_level, &mut self.profile, p);
        }
    }

    fn enroll(&mut self, ks: &Keystroke, out: &mut Vec<Decision>) {
        let p = &self.params;
        // Prequential calibration: score before learning, once the profile has some shape.
        let raw = score::raw_with(&self.profile, ks, p, &mut self.recent);
        if self.profile.maturity().keystrokes >= u64::from(p.min_enroll_keystrokes / 2) {
            if let Some(raw) = raw {
                self.profile.calibrate(score::calibrated_stat(raw));
            }
        }
        self.profile.learn(ks, p);
        if self.profile.check_maturity(p) {
            out.push(Decision::Matured {
                t_us: ks.release_us,
            });
            self.start_deciding(ks.release_us);
        }
    }

    fn apply(&mut self, e: &Evidence, out: &mut Vec<Decision>) {
        match self.policy.observe(e) {
            Some(Verdict::Lock) => {
                self.adapter.discard();
                out.push(Decision::Lock {
                    t_us: e.t_us,
                    reason: LockReason::Impostor,
                });
            }
            Some(Verdict::State(state)) => out.push(Decision::Trust {
                t_us: e.t_us,
                state,
                trust: self.policy.trust(),
            }),
            None => {}
        }
    }
}
