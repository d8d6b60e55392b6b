//! The decision core's pointer path: pointer actions from the input layer into the engine
//! of the seat's owner, under the same gate as typing.
//!
//! A child module of `brain`, so it shares the core's state; invariants are the core's.
//! Pointer actions are self-contained (no chain spans two of them), so a closed gate only
//! drops them: nothing needs cutting when it reopens.

use super::{Brain, Now};
use crate::core::pointer::PointerEvent;
use crate::daemon::event::Action;
use crate::engine::pointer::PointerSource;
use crate::session::Gate;

impl Brain {
    pub(super) fn pointer(&mut self, ev: PointerEvent, now: Now, out: &mut Vec<Action>) {
        let device = match &ev {
            PointerEvent::Action { device, .. } | PointerEvent::Cut { device, .. } => *device,
        };
        let Some(dev) = self.devices.get(&device) else {
            return;
        };
        let Some(src) = dev.pointer else {
            return;
        };
        let owner = self.owners.get(&dev.seat).filter(|o| !o.resolved.exempt);
        let user = owner.and_then(|o| self.users.get_mut(&o.resolved.identity));
        let (Gate::Allowed, Some(owner), Some(user)) =
            (self.gate.gate(&dev.seat, now.ms), owner, user)
        else {
            return;
        };
        // F29: how late the action (stamped at its end) reached this loop.
        let lag_us = now.us
            - match &ev {
                PointerEvent::Action { action, .. } => action.end_us,
                PointerEvent::Cut { t_us, .. } => *t_us,
            };
        let mut decisions = Vec::new();
        user.engine.on_pointer(&ev, src, &mut decisions);
        if matches!(ev, PointerEvent::Action { .. }) {
            user.dirty = true;
        }
        let (info, seat, name) = (owner.info.clone(), dev.seat.clone(), dev.name.clone());
        let identity = owner.resolved.identity.clone();
        let class = match src {
            PointerSource::Physical => "pointer",
            PointerSource::Virtual => "virtual_pointer",
        };
        for d in decisions {
            self.decide(d, &identity, &info, &seat, &name, class, lag_us, out);
        }
    }
}
