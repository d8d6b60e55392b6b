//! The functional core: pure code, no I/O, time only from event stamps or an injected clock.
//!
//! - [`event`]: decoded kernel `input_event`s (the only type that carries key codes);
//! - [`keyslot`]: the privacy boundary where key codes become opaque slots;
//! - [`timing`]: the cleaned timing events the engine consumes;
//! - [`clean`]: the per-device cleaning state machine;
//! - [`caps`]: device identity and capability bitmaps (live or recorded);
//! - [`pointer`](mod@pointer): pointer events aggregated into samples and segmented into actions.

pub mod caps;
pub mod clean;
pub mod event;
pub mod keyslot;
pub mod pointer;
pub mod timing;
